import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import { actorOf } from '../http/routes.js';
import { ActorHeaders, ChannelParams } from '../http/schemas.js';
import { formatId } from '../ids.js';
import type { TelegramBridge } from './service.js';
import { UpdateSchema, type TelegramUpdate } from './update.js';

const TAGS = ['messaging'];
const errors = { ...keyedErrorResponses, 404: Type.Ref('ErrorResponse') };

const WebhookResult = Type.Object(
  {
    ok: Type.Boolean(),
    outcome: Type.Union(
      ['stored', 'duplicate', 'edited', 'unchanged', 'ignored', 'rejected'].map((o) => Type.Literal(o)),
    ),
    channelId: Type.Union([Type.String(), Type.Null()]),
    messageId: Type.Union([Type.String(), Type.Null()]),
  },
  {
    examples: [
      {
        ok: true,
        outcome: 'stored',
        channelId: '0b8f1a52-6c7e-4d1f-9a0e-3e5f2b7c9d10',
        messageId: '1234567890123456789',
      },
    ],
  },
);

const SyncStateView = Type.Object({
  channelId: Type.String(),
  telegramChatId: Type.Union([Type.Integer(), Type.Null()]),
  lastUpdateId: Type.Union([Type.Integer(), Type.Null()]),
  lastSyncAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  status: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

/** The Telegram webhook (authenticated by the bot's secret token, not an API key) and sync state. */
export function telegramRoutes(app: FastifyInstance, telegram: TelegramBridge): void {
  const r = typed(app);

  r.post(
    '/telegram/webhook/:botId',
    {
      config: { public: true },
      // Checked before the body is read: a caller without the secret cannot make us parse anything.
      onRequest: async (request) => {
        const { botId } = request.params as { botId: string };
        telegram.authenticate(botId, request.headers['x-telegram-bot-api-secret-token']);
      },
      schema: {
        operationId: 'messaging.receiveTelegramUpdate',
        tags: TAGS,
        // Not an API key: Telegram sends the bot's secret in X-Telegram-Bot-Api-Secret-Token.
        security: [],
        summary: 'Telegram webhook: set it with setWebhook(url, secret_token) for a configured bot',
        description:
          'Accepts a Bot API Update. message, edited_message, channel_post and edited_channel_post are stored ' +
          'exactly once per (message_id, chat.id); other kinds are acknowledged and recorded. A missing or wrong ' +
          'X-Telegram-Bot-Api-Secret-Token is refused with 401 and stores nothing.',
        params: Type.Object({ botId: Type.String({ minLength: 1, maxLength: 64, examples: ['support'] }) }),
        headers: Type.Object({
          'x-telegram-bot-api-secret-token': Type.Optional(
            Type.String({ description: "The bot's configured secret" }),
          ),
        }),
        body: UpdateSchema,
        response: {
          200: WebhookResult,
          401: Type.Ref('ErrorResponse'),
          400: Type.Ref('ErrorResponse'),
          503: Type.Ref('ErrorResponse'),
        },
      },
    },
    async (request) => {
      const result = await telegram.handleUpdate(request.params.botId, request.body as TelegramUpdate);
      return {
        ok: true,
        outcome: result.outcome,
        channelId: result.channelId,
        messageId: result.messageId === null ? null : formatId(result.messageId),
      };
    },
  );

  r.get(
    '/channels/:channelId/telegram',
    {
      schema: {
        operationId: 'messaging.getTelegramLink',
        tags: TAGS,
        summary: "A linked channel's Telegram sync state (last update id, last sync, status, last error)",
        headers: ActorHeaders,
        params: ChannelParams,
        response: { 200: Type.Object({ syncState: Type.Union([SyncStateView, Type.Null()]) }), ...errors },
      },
    },
    async (request) => {
      const state = await telegram.syncState(request.params.channelId, actorOf(request));
      return {
        syncState: state
          ? { ...state, lastSyncAt: state.lastSyncAt ? state.lastSyncAt.toISOString() : null }
          : null,
      };
    },
  );
}
