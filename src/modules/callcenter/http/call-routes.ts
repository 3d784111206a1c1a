import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorResponse, keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import type { CallCenterServices } from '../services.js';
import * as S from './schemas.js';

const tags = ['callcenter calls'];
const err = Type.Ref(ErrorResponse);

/** The queue and a call's life: enqueue, position, abandon, assign, answer ... end. */
export function callRoutes(app: FastifyInstance, services: CallCenterServices): void {
  const r = typed(app);
  const { queue, assignment, calls } = services;

  r.post(
    '/callcenter/calls',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.calls.enqueue',
        summary: 'Put a call in a queue (caller in E.164; priority 0-100, higher first)',
        body: S.EnqueueBody,
        response: { 201: S.QueuedCallView, 409: err, ...keyedErrorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await queue.enqueue(request.body)),
  );

  r.get(
    '/callcenter/queues/:queue',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.queues.list',
        summary: "A queue's waiting calls in routing order (priority, then age)",
        params: S.QueueParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: { 200: Type.Object({ calls: Type.Array(S.QueuedCallView) }), ...keyedErrorResponses },
      },
    },
    async (request) => ({
      calls: await queue.list(request.params.queue, { limit: request.query.limit ?? 100 }),
    }),
  );

  r.get(
    '/callcenter/calls/:callId/position',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.calls.position',
        summary: "A waiting call's position and estimated wait",
        params: S.CallParams,
        response: { 200: S.PositionView, 404: err, 409: err, ...keyedErrorResponses },
      },
    },
    async (request) => queue.position(request.params.callId),
  );

  r.post(
    '/callcenter/calls/:callId/abandon',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.calls.abandon',
        summary: 'The caller hung up before being answered: recorded as abandoned with its wait',
        params: S.CallParams,
        response: {
          200: Type.Object({ callId: Type.String(), waitSeconds: Type.Number() }),
          404: err,
          409: err,
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => queue.abandon(request.params.callId),
  );

  r.post(
    '/callcenter/assign',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.assign',
        summary: 'Assign a waiting call: to the given agent, or to the best one (longest available)',
        description:
          'Atomic: the call leaves the queue, rings at the agent and counts against its capacity in one ' +
          'transaction. Without agentId the answer is { assignment: null } when no agent fits now.',
        body: S.AssignBody,
        response: { 200: S.AssignmentView, 404: err, 409: err, ...keyedErrorResponses },
      },
    },
    async (request) => {
      const { callId, agentId } = request.body;
      return {
        assignment:
          agentId === undefined ? await assignment.route(callId) : await assignment.assign(callId, agentId),
      };
    },
  );

  r.get(
    '/callcenter/calls/:callId',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'callcenter.calls.get',
        summary: 'A live call: waiting in its queue (state queued), ringing, talking or on hold',
        description:
          'An ended call answers 404 CALL_NOT_FOUND with details.state "ended": its record is at ' +
          'GET /v1/callcenter/records/{callId}.',
        params: S.CallParams,
        response: { 200: S.LiveCallView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request) => calls.get(request.params.callId),
  );

  const stateChanges = [
    ['answer', 'The agent answers the ringing call'],
    ['hold', 'Put the call on hold'],
    ['resume', 'Take the call off hold'],
  ] as const;
  for (const [action, summary] of stateChanges) {
    r.post(
      `/callcenter/calls/:callId/${action}`,
      {
        config: { scope: 'write' },
        schema: {
          tags,
          operationId: `callcenter.calls.${action}`,
          summary,
          params: S.CallParams,
          response: { 200: S.ActiveCallView, 404: err, 409: err, ...keyedErrorResponses },
        },
      },
      async (request) => calls[action](request.params.callId),
    );
  }

  r.post(
    '/callcenter/calls/:callId/reject',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.calls.reject',
        summary:
          'The agent declines the ringing offer: back to its queue position; this agent is skipped next',
        params: S.CallParams,
        response: { 200: S.RequeuedView, 404: err, 409: err, ...keyedErrorResponses },
      },
    },
    async (request) => calls.reject(request.params.callId),
  );

  r.post(
    '/callcenter/calls/:callId/transfer',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.calls.transfer',
        summary:
          'Transfer an answered call to an agent (it rings there) or back to a queue (original enqueue time kept)',
        description:
          'To a queue, requiredSkills (optional, as at enqueue) replaces the skills the call needs there; ' +
          'without it the call keeps the skills it had.',
        params: S.CallParams,
        body: S.TransferBody,
        response: {
          200: Type.Union([S.ActiveCallView, S.RequeuedView]),
          404: err,
          409: err,
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => calls.transfer(request.params.callId, request.body),
  );

  r.post(
    '/callcenter/calls/:callId/end',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'callcenter.calls.end',
        summary: 'Hang up an answered call with a disposition; returns its call record',
        params: S.CallParams,
        body: S.EndBody,
        response: { 200: S.CallRecordView, 404: err, 409: err, ...keyedErrorResponses },
      },
    },
    async (request) => calls.end(request.params.callId, request.body.disposition),
  );
}
