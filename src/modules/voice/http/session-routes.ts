import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { SwitchboardError } from '../../../errors/index.js';
import { ErrorResponse, keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import type { VoiceServices } from '../services.js';
import {
  CreateSessionBody,
  MemoryView,
  PhoneQuery,
  PutMemoryBody,
  SessionParams,
  SessionView,
  SmsView,
  UpdateSessionBody,
  Paging,
} from './schemas.js';
import { sessionView, smsView } from './views.js';

const tags = ['voice sessions'];
const err = Type.Ref(ErrorResponse);

/** `If-Match: "3"` (or 3, or W/"3") → 3. */
function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!m) {
    throw new SwitchboardError('VALIDATION_FAILED', 'headers.if-match must be the memory version, e.g. "3"', {
      field: 'headers.if-match',
    });
  }
  return Number(m[1]);
}

export function sessionRoutes(app: FastifyInstance, services: VoiceServices): void {
  const r = typed(app);
  const { sessions, sms } = services;

  r.post(
    '/voice/sessions',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'voice.createSession',
        tags,
        summary: 'Start a voice session (expires after voice.session_ttl_seconds)',
        body: CreateSessionBody,
        response: { 201: SessionView, 409: err, 413: err, ...keyedErrorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(sessionView(await sessions.create(request.body))),
  );

  r.get(
    '/voice/sessions',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.listSessions',
        tags,
        summary: "A caller's live sessions, newest first",
        querystring: PhoneQuery,
        response: {
          200: Type.Object({
            sessions: Type.Array(SessionView),
            nextPageToken: Type.Union([Type.String(), Type.Null()]),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => {
      const { phone, limit, pageToken } = request.query;
      const page = await sessions.listByPhone(phone, { limit, pageToken: pageToken ?? null });
      return { sessions: page.sessions.map(sessionView), nextPageToken: page.nextPageToken };
    },
  );

  r.get(
    '/voice/sessions/:sessionId',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.getSession',
        tags,
        summary: 'Read a session',
        params: SessionParams,
        response: { 200: SessionView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request) => sessionView(await sessions.get(request.params.sessionId)),
  );

  r.patch(
    '/voice/sessions/:sessionId',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'voice.updateSession',
        tags,
        summary: 'Update stage, language, segment or metadata',
        params: SessionParams,
        body: UpdateSessionBody,
        response: { 200: SessionView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request) => sessionView(await sessions.update(request.params.sessionId, request.body)),
  );

  r.get(
    '/voice/sessions/:sessionId/memory',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.getMemory',
        tags,
        summary: 'Read the session memory and its version (also as the ETag)',
        params: SessionParams,
        response: { 200: MemoryView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request, reply) => {
      const memory = await sessions.readMemory(request.params.sessionId);
      return reply.header('etag', `"${memory.version}"`).send(memory);
    },
  );

  r.put(
    '/voice/sessions/:sessionId/memory',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'voice.putMemory',
        tags,
        summary:
          'Replace the memory if it is still at the version given (body.version or If-Match; both must agree)',
        description:
          'A stale version answers 409 VERSION_CONFLICT with details.currentVersion and writes nothing: read again, reapply the change, retry.',
        params: SessionParams,
        body: PutMemoryBody,
        response: { 200: MemoryView, 404: err, 409: err, 413: err, ...keyedErrorResponses },
      },
    },
    async (request, reply) => {
      const ifMatch = versionFromIfMatch(request.headers['if-match']);
      // Both given: they must name the same version, or the client is confused about which
      // read it is writing over (a stale If-Match is never silently overridden by the body).
      if (ifMatch !== undefined && request.body.version !== undefined && ifMatch !== request.body.version) {
        throw new SwitchboardError(
          'VALIDATION_FAILED',
          `headers.if-match ("${ifMatch}") and body.version (${request.body.version}) disagree; send one, or the same version in both`,
          { field: 'headers.if-match', details: { ifMatch, bodyVersion: request.body.version } },
        );
      }
      const version = request.body.version ?? ifMatch;
      if (version === undefined) {
        throw new SwitchboardError('VALIDATION_FAILED', 'body.version (or an If-Match header) is required', {
          field: 'body.version',
        });
      }
      const written = await sessions.writeMemory(request.params.sessionId, request.body.memory, version);
      return reply
        .header('etag', `"${written.version}"`)
        .send({ memory: written.memory, version: written.version });
    },
  );

  r.get(
    '/voice/sessions/:sessionId/sms',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.listSessionSms',
        tags: ['voice sms'],
        summary: 'SMS sent in a session, newest first',
        params: SessionParams,
        querystring: Type.Object(Paging),
        response: {
          200: Type.Object({
            messages: Type.Array(SmsView),
            nextPageToken: Type.Union([Type.String(), Type.Null()]),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => {
      const page = await sms.listBySession(request.params.sessionId, {
        limit: request.query.limit,
        pageToken: request.query.pageToken ?? null,
      });
      return { messages: page.messages.map(smsView), nextPageToken: page.nextPageToken };
    },
  );
}
