import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import { STALE_READ_TARGET } from '../migration-metrics.js';
import type { ConversationServices } from '../services.js';
import * as S from './schemas.js';
import { sessionView, stepView, turnView } from './views.js';

const tags = ['conversations'];
const err = Type.Ref('ErrorResponse');
const errors = { ...keyedErrorResponses, 404: err, 409: err, 422: err };

/** `/v1/conversations/...`: conversation trees (docs/conversations.md). */
export function conversationRoutes(app: FastifyInstance, services: ConversationServices): void {
  const r = typed(app);
  const svc = services.conversations;
  const base = '/conversations/sessions/:sessionUid';

  r.post(
    '/conversations/sessions',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'conversations.createSession',
        summary: 'Start a conversation for an account',
        body: S.CreateSessionBody,
        response: { 201: S.SessionView, ...errors },
      },
    },
    async (request, reply) => {
      const { accountUid, ...rest } = request.body;
      return reply.code(201).send(sessionView(await svc.createSession(accountUid, rest)));
    },
  );

  r.get(
    '/conversations/accounts/:accountUid/sessions',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'conversations.listSessions',
        summary: "An account's conversations, newest first (deleted ones hidden), 20 a page by default",
        params: S.AccountParams,
        querystring: S.ListQuery,
        response: { 200: S.SessionPageView, ...errors },
      },
    },
    async (request) => {
      const page = await svc.listSessions(request.params.accountUid, request.query);
      const sessions = page.sessions.map((session) => {
        const { activeChild: _unknownHere, ...listed } = sessionView(session);
        return listed;
      });
      return { sessions, nextPageToken: page.nextPageToken };
    },
  );

  r.get(
    base,
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'conversations.getSession',
        summary: 'A conversation by id (a deleted one stays readable for the grace period)',
        params: S.SessionParams,
        response: { 200: S.SessionView, ...errors },
      },
    },
    async (request) => sessionView(await svc.getSession(request.params.sessionUid)),
  );

  r.patch(
    base,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'conversations.renameSession',
        summary: 'Rename a conversation',
        params: S.SessionParams,
        body: S.RenameBody,
        response: { 200: S.SessionView, ...errors },
      },
    },
    async (request) => sessionView(await svc.renameSession(request.params.sessionUid, request.body.title)),
  );

  r.delete(
    base,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'conversations.deleteSession',
        summary: 'Soft-delete a conversation: hidden from lists at once, readable by id for the grace period',
        params: S.SessionParams,
        response: { 200: S.SessionView, ...errors },
      },
    },
    async (request) => sessionView(await svc.deleteSession(request.params.sessionUid)),
  );

  r.post(
    `${base}/turns`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'conversations.appendTurn',
        summary:
          'Append a human turn (prompt) or an agent turn (steps); under a parent with children it becomes the active sibling',
        params: S.SessionParams,
        body: S.AppendTurnBody,
        response: { 201: S.TurnView, ...errors },
      },
    },
    async (request, reply) => {
      const { type, prompt, steps, completed, ...where } = request.body;
      const id = request.params.sessionUid;
      const turn =
        type === 'human'
          ? await svc.appendHumanTurn(id, { ...where, prompt: prompt as string })
          : await svc.appendAgentTurn(id, {
              ...where,
              ...(steps ? { steps } : {}),
              ...(completed !== undefined ? { completed } : {}),
            });
      return reply.code(201).send(turnView(turn));
    },
  );

  r.post(
    `${base}/turns/:turnUid/steps`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'conversations.appendSteps',
        summary: 'Append steps to an open agent turn while it streams (`complete` closes it)',
        params: S.TurnParams,
        body: S.AppendStepsBody,
        response: { 201: Type.Object({ steps: Type.Array(S.StepView) }), ...errors },
      },
    },
    async (request, reply) => {
      const { sessionUid, turnUid } = request.params;
      const steps = await svc.appendSteps(sessionUid, turnUid, request.body);
      return reply.code(201).send({ steps: steps.map(stepView) });
    },
  );

  r.post(
    `${base}/turns/:turnUid/complete`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'conversations.completeTurn',
        summary: 'Mark an agent turn complete (no more steps)',
        params: S.TurnParams,
        response: { 200: S.TurnView, ...errors },
      },
    },
    async (request) => turnView(await svc.completeTurn(request.params.sessionUid, request.params.turnUid)),
  );

  r.put(
    `${base}/turns/:turnUid/like`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'conversations.likeTurn',
        summary: 'Like (`liked: true`) or unlike (`liked: false`) an agent turn',
        params: S.TurnParams,
        body: S.LikeBody,
        response: { 200: S.TurnView, ...errors },
      },
    },
    async (request) =>
      turnView(await svc.like(request.params.sessionUid, request.params.turnUid, request.body.liked)),
  );

  r.get(
    `${base}/turns/:turnUid/children`,
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'conversations.listChildren',
        summary:
          "A turn's children (branches) in creation order and the active one; the session id lists root turns",
        params: S.TurnParams,
        response: { 200: S.ChildrenView, ...errors },
      },
    },
    async (request) => {
      const result = await svc.children(request.params.sessionUid, request.params.turnUid);
      return {
        activeChild: result.activeChild,
        children: result.children.map((c) => ({ ...c, createdAt: c.createdAt.toISOString() })),
      };
    },
  );

  r.put(
    `${base}/active-child`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'conversations.switchBranch',
        summary: 'Switch branch: make a child the active child of its parent',
        params: S.SessionParams,
        body: S.SwitchBody,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await svc.switchBranch(request.params.sessionUid, request.body.parentUid, request.body.childUid);
      return reply.code(204).send();
    },
  );

  r.get(
    `${base}/conversation`,
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'conversations.load',
        summary: 'Load a conversation with every turn’s steps: the active path (default) or the whole tree',
        params: S.SessionParams,
        querystring: S.LoadQuery,
        response: { 200: S.ConversationView, ...errors },
      },
    },
    async (request) => {
      const id = request.params.sessionUid;
      const c = request.query.view === 'tree' ? await svc.loadTree(id) : await svc.loadActivePath(id);
      return { session: sessionView(c.session), turns: c.turns.map(turnView) };
    },
  );

  const modeView = async () => ({
    mode: services.router.mode,
    repairBacklog: await services.repairs.backlog(),
    staleReads: { ...services.metrics.staleReadRate(), target: STALE_READ_TARGET },
  });

  r.get(
    '/conversations/admin/mode',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'conversations.getMode',
        summary: 'The migration phase, the repair backlog and the stale-read rate',
        response: { 200: S.ModeView, ...errors },
      },
    },
    modeView,
  );

  r.put(
    '/conversations/admin/mode',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'conversations.setMode',
        summary: 'Move this process to another migration phase (refused into wide_column while repairs wait)',
        body: S.ModeBody,
        response: { 200: S.ModeView, ...errors },
      },
    },
    async (request) => {
      await services.router.setMode(request.body.mode, { force: request.body.force ?? false });
      return modeView();
    },
  );
}
