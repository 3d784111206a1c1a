import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { SwitchboardError } from '../../errors/index.js';
import { keyedErrorResponses } from '../../server/schemas.js';
import { typed } from '../../server/type-provider.js';
import type { InteractionServices } from './module.js';
import { recentActivity } from './recent.js';

const MINUTE_MS = 60_000;
/** A glance, not a report: longer windows belong to /interactions/latency and the error log. */
const MAX_WINDOW_MINUTES = 360;

const PerStage = Type.Object({ stt: Type.Integer(), llm: Type.Integer(), tts: Type.Integer() });

/**
 * `GET /v1/interactions/recent`: the slowest sessions and the errors by stage and code over a
 * recent window (the dashboard's voice page). Kept apart from routes.ts: a read-only view.
 */
export function recentRoute(
  app: FastifyInstance,
  services: InteractionServices,
  store: Parameters<typeof recentActivity>[0],
): void {
  typed(app).get(
    '/interactions/recent',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'interactions.getRecent',
        tags: ['interactions'],
        summary: 'The slowest sessions, events per stage and errors by stage and code over a recent window',
        description:
          'The window is `minutes` back from `to` (default now), at most 360. Sessions are ranked by their worst ' +
          'turn: the STT, LLM and TTS latencies of one turn summed. `truncated` says a stage or the error log had ' +
          'more rows in the window than one request reads (50 000 per stage, 10 000 errors).',
        querystring: Type.Object({
          minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WINDOW_MINUTES, default: 60 })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
        }),
        response: {
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            events: PerStage,
            slowest_sessions: Type.Array(
              Type.Object({
                session_id: Type.String(),
                events: Type.Integer(),
                turns: Type.Integer(),
                worst_turn_ms: Type.Number(),
                mean_turn_ms: Type.Number(),
                last_event_at: Type.String(),
              }),
            ),
            errors: Type.Array(
              Type.Object({ stage: Type.String(), code: Type.String(), count: Type.Integer() }),
            ),
            truncated: Type.Boolean(),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => {
      const { minutes = 60, to, limit = 10 } = request.query;
      const end = to ? new Date(to) : services.now();
      if (Number.isNaN(end.getTime())) {
        throw new SwitchboardError('VALIDATION_FAILED', '`to` must be a date-time', { field: 'to' });
      }
      return recentActivity(store, services.topics, {
        from: new Date(end.getTime() - minutes * MINUTE_MS),
        to: end,
        limit,
      });
    },
  );
}
