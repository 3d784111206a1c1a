import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorResponse, keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import type { CallCenterServices } from '../services.js';
import * as S from './schemas.js';

const tags = ['callcenter agents'];
const err = Type.Ref(ErrorResponse);

/**
 * Agents. Creating and reconfiguring agents is a supervisor's job (admin scope); status
 * changes, heartbeats and taking the next call are the agents' own (write).
 */
export function agentRoutes(app: FastifyInstance, services: CallCenterServices): void {
  const r = typed(app);
  const { agents, assignment, calls } = services;

  r.post(
    '/callcenter/agents',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'callcenter.agents.create',
        summary: 'Create an agent (offline, max 1 call unless maxCalls says otherwise)',
        body: S.CreateAgentBody,
        response: { 201: S.AgentView, 409: err, ...keyedErrorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await agents.create(request.body)),
  );

  r.get(
    '/callcenter/agents',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.agents.list',
        summary: 'List agents by id, optionally in one status',
        querystring: S.ListAgentsQuery,
        response: { 200: Type.Object({ agents: Type.Array(S.AgentView) }), ...keyedErrorResponses },
      },
    },
    async (request) => ({
      agents: await agents.list({
        ...(request.query.status ? { status: request.query.status } : {}),
        limit: request.query.limit ?? 100,
      }),
    }),
  );

  r.get(
    '/callcenter/agents/:agentId',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.agents.get',
        summary: 'Read an agent',
        params: S.AgentParams,
        response: { 200: S.AgentView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request) => agents.get(request.params.agentId),
  );

  r.patch(
    '/callcenter/agents/:agentId',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'callcenter.agents.update',
        summary: "Change an agent's username, display name, skills or capacity",
        params: S.AgentParams,
        body: S.UpdateAgentBody,
        response: { 200: S.AgentView, 404: err, 409: err, ...keyedErrorResponses },
      },
    },
    async (request) => agents.update(request.params.agentId, request.body),
  );

  r.post(
    '/callcenter/agents/:agentId/status',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.agents.setStatus',
        summary: "Change an agent's status through the state machine",
        description:
          'Legal moves: offline → available|away; available → away|offline; away → available|offline; ' +
          'after_call_work → available|away|offline; busy → away|offline. Anything else answers 409 ' +
          'ILLEGAL_STATUS_CHANGE with details.legal. Going offline with live calls answers 409 ' +
          'AGENT_HAS_LIVE_CALLS unless force is true, which puts the calls back in their queues.',
        params: S.AgentParams,
        body: S.StatusBody,
        response: { 200: S.AgentView, 404: err, 409: err, ...keyedErrorResponses },
      },
    },
    async (request) =>
      agents.setStatus(request.params.agentId, request.body.status, { force: request.body.force === true }),
  );

  r.post(
    '/callcenter/agents/:agentId/heartbeat',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.agents.heartbeat',
        summary: 'The agent (or its softphone) is alive',
        description:
          'Without one for [callcenter] heartbeat_timeout_seconds the agent goes away and its ringing offers are withdrawn.',
        params: S.AgentParams,
        response: {
          200: Type.Object({ agentId: Type.String(), lastHeartbeatAt: Type.String({ format: 'date-time' }) }),
          404: err,
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => agents.heartbeat(request.params.agentId),
  );

  r.post(
    '/callcenter/agents/:agentId/next',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.assignNext',
        summary: 'Assign the best waiting call to this agent (priority, then age), or null',
        description:
          '{ assignment: null } when no waiting call matches. An agent that cannot take a call now answers ' +
          '409: AGENT_NOT_AVAILABLE (offline, away, after-call work) or AGENT_AT_CAPACITY, as POST /assign does.',
        params: S.AgentParams,
        body: S.NextBody,
        response: { 200: S.AssignmentView, 404: err, 409: err, ...keyedErrorResponses },
      },
      // The body is optional (no queue filter): a request without one is validated as `{}`,
      // where a missing body would fail the schema's "must be object".
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => ({
      assignment: await assignment.next(
        request.params.agentId,
        request.body?.queues !== undefined ? { queues: request.body.queues } : {},
      ),
    }),
  );

  r.get(
    '/callcenter/agents/:agentId/calls',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.agents.calls',
        summary: "The agent's live calls",
        params: S.AgentParams,
        response: {
          200: Type.Object({ calls: Type.Array(S.ActiveCallView) }),
          404: err,
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => ({ calls: await calls.ofAgent(request.params.agentId) }),
  );
}
