import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Switchboard } from '../app/create-switchboard.js';
import { messagingActivity } from './messaging-activity.js';
import { keyedErrorResponses } from './schemas.js';
import { typed } from './type-provider.js';

const Channel = Type.Object({
  channelId: Type.String(),
  title: Type.String(),
  kind: Type.String(),
  messagesThisMinute: Type.Integer(),
  messagesLastMinute: Type.Integer(),
  messagesTotal: Type.Integer(),
});

/**
 * Read-only views the dashboard needs that no module route gives, under /v1 behind the key
 * guard. Kept out of the messaging module's files: they read its tables and counters only.
 */
export function dashboardApiRoutes(app: FastifyInstance, switchboard: Switchboard): void {
  typed(app).get(
    '/messaging/activity',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'messaging.getActivity',
        tags: ['messaging'],
        summary: 'The busiest channels by messages per minute, and the Telegram bridge outbox',
        description:
          'Looks at the newest `scan` channels (default 500; `truncated` says there are more): messages this ' +
          'minute and last minute from the live counters, the total for the busiest. `telegram` is the bridge: ' +
          'linked chats, sends pending and failed, the age of the oldest pending send (the lag), the last failure ' +
          'and updates ignored in the last hour.',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          scan: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
        }),
        response: {
          200: Type.Object({
            at: Type.String(),
            scanned: Type.Integer(),
            truncated: Type.Boolean(),
            messagesThisMinute: Type.Integer(),
            messagesLastMinute: Type.Integer(),
            busiest: Type.Array(Channel),
            telegram: Type.Object({
              linkedChats: Type.Integer(),
              pending: Type.Integer(),
              failed: Type.Integer(),
              oldestPendingSeconds: Type.Union([Type.Number(), Type.Null()]),
              lastError: Type.Union([Type.String(), Type.Null()]),
              ignoredUpdatesLastHour: Type.Integer(),
            }),
          }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) =>
      messagingActivity(switchboard, {
        limit: request.query.limit ?? 10,
        scanLimit: request.query.scan ?? 500,
      }),
  );
}
