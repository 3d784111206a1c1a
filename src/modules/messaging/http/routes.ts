import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import { USER_ID_PATTERN } from '../../../shared/user-id.js';
import type { SwitchboardContext } from '../../module.js';
import { formatId, parseId } from '../ids.js';
import { messageToJson, pageToJson, pinToJson, unreadToJson } from '../serialize.js';
import type { MessagingServices } from '../services.js';
import { SIDEBAR_MAX } from '../reads.js';
import { checkUserId } from '../validation.js';
import { channelEventsRoute } from './events-route.js';
import * as S from './schemas.js';

const TAGS = ['messaging'];
const errors = { ...keyedErrorResponses, 404: Type.Ref('ErrorResponse'), 409: Type.Ref('ErrorResponse') };

/** The end user acting: the `X-User-Id` header (the API key names only the integration). */
export function actorOf(request: FastifyRequest): string {
  return checkUserId(request.headers['x-user-id'], 'headers.x-user-id');
}

export function messagingRoutes(
  app: FastifyInstance,
  services: MessagingServices,
  context: SwitchboardContext,
): void {
  const r = typed(app);
  const { chats, messages, reactions, pins, reads, typing, presence, counters } = services;
  const headers = S.ActorHeaders;

  r.post(
    '/channels',
    {
      schema: {
        operationId: 'messaging.createChannel',
        tags: TAGS,
        summary: 'Create a channel (the acting user becomes its owner)',
        headers,
        body: S.CreateChannelBody,
        response: { 201: S.ChannelView, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await chats.create(actorOf(request), request.body)),
  );

  r.get(
    '/channels',
    {
      schema: {
        operationId: 'messaging.listChannels',
        tags: TAGS,
        summary: "The acting user's channels",
        headers,
        response: {
          200: Type.Object({
            channels: Type.Array(Type.Intersect([S.ChannelView, Type.Object({ role: Type.String() })])),
          }),
          ...errors,
        },
      },
    },
    async (request) => ({ channels: await chats.listForUser(actorOf(request)) }),
  );

  r.get(
    '/channels/unread',
    {
      schema: {
        operationId: 'messaging.listUnreadCounts',
        tags: TAGS,
        summary: "Unread counts across the acting user's channels (exact up to the cap, then e.g. 99+)",
        headers,
        response: {
          200: Type.Object({
            channels: Type.Array(S.UnreadView),
            total: Type.Integer(),
            display: Type.String(),
            truncated: Type.Boolean({
              description: `true when the user is in more channels than one answer counts (${SIDEBAR_MAX}, the most recently joined first)`,
            }),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const all = await reads.unreadAll(actorOf(request));
      return {
        channels: all.channels.map(unreadToJson),
        total: all.total,
        display: all.display,
        truncated: all.truncated,
      };
    },
  );

  r.get(
    '/channels/:channelId',
    {
      schema: {
        operationId: 'messaging.getChannel',
        tags: TAGS,
        summary: 'A channel with its participants',
        headers,
        params: S.ChannelParams,
        response: {
          200: Type.Intersect([S.ChannelView, Type.Object({ participants: Type.Array(S.ParticipantView) })]),
          ...errors,
        },
      },
    },
    async (request) => chats.get(request.params.channelId, actorOf(request)),
  );

  r.post(
    '/channels/:channelId/participants',
    {
      schema: {
        operationId: 'messaging.addParticipant',
        tags: TAGS,
        summary: 'Add a participant (owners and admins)',
        headers,
        params: S.ChannelParams,
        body: S.AddParticipantBody,
        response: { 201: S.ParticipantView, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await chats.addParticipant(
            request.params.channelId,
            actorOf(request),
            request.body.userId,
            request.body.role,
          ),
        ),
  );

  r.delete(
    '/channels/:channelId/participants/:userId',
    {
      schema: {
        operationId: 'messaging.removeParticipant',
        tags: TAGS,
        summary: 'Remove a participant (owners and admins), or leave',
        headers,
        params: S.ParticipantParams,
        response: { 200: Type.Object({ removed: Type.Boolean() }), ...errors },
      },
    },
    async (request) => ({
      removed: await chats.removeParticipant(
        request.params.channelId,
        actorOf(request),
        request.params.userId,
      ),
    }),
  );

  r.post(
    '/channels/:channelId/messages',
    {
      schema: {
        operationId: 'messaging.sendMessage',
        tags: TAGS,
        summary: 'Send a message',
        headers,
        params: S.ChannelParams,
        body: S.SendBody,
        response: { 201: S.MessageView, ...errors },
      },
    },
    async (request, reply) => {
      const { replyToId, ...rest } = request.body;
      const message = await messages.send(request.params.channelId, actorOf(request), {
        ...rest,
        replyToId: replyToId === undefined || replyToId === null ? null : parseId(replyToId, 'replyToId'),
      });
      return reply.code(201).send(messageToJson(message));
    },
  );

  r.get(
    '/channels/:channelId/messages',
    {
      schema: {
        operationId: 'messaging.listMessages',
        tags: TAGS,
        summary: 'History, newest first: the newest page, or before / after / around a message id',
        headers,
        params: S.ChannelParams,
        querystring: S.HistoryQuery,
        response: { 200: S.HistoryView, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit === undefined ? undefined : /^\d+$/.test(q.limit) ? Number(q.limit) : q.limit;
      const page = await messages.history(request.params.channelId, actorOf(request), {
        ...(limit !== undefined ? { limit: limit as number } : {}),
        ...(q.before !== undefined ? { before: parseId(q.before, 'before') } : {}),
        ...(q.after !== undefined ? { after: parseId(q.after, 'after') } : {}),
        ...(q.around !== undefined ? { around: parseId(q.around, 'around') } : {}),
      });
      return pageToJson(page);
    },
  );

  r.get(
    '/channels/:channelId/messages/:messageId',
    {
      schema: {
        operationId: 'messaging.getMessage',
        tags: TAGS,
        summary: 'One message with its reactions',
        headers,
        params: S.MessageParams,
        response: { 200: S.MessageView, ...errors },
      },
    },
    async (request) =>
      messageToJson(
        await messages.get(
          request.params.channelId,
          actorOf(request),
          parseId(request.params.messageId, 'messageId'),
        ),
      ),
  );

  r.patch(
    '/channels/:channelId/messages/:messageId',
    {
      schema: {
        operationId: 'messaging.editMessage',
        tags: TAGS,
        summary: 'Edit a message (the sender only); keeps the edit time',
        headers,
        params: S.MessageParams,
        body: S.EditBody,
        response: { 200: S.MessageView, ...errors },
      },
    },
    async (request) =>
      messageToJson(
        await messages.edit(
          request.params.channelId,
          actorOf(request),
          parseId(request.params.messageId, 'messageId'),
          request.body,
        ),
      ),
  );

  r.delete(
    '/channels/:channelId/messages/:messageId',
    {
      schema: {
        operationId: 'messaging.deleteMessage',
        tags: TAGS,
        summary: 'Delete a message: it stays as a tombstone with its content cleared',
        headers,
        params: S.MessageParams,
        response: { 200: S.MessageView, ...errors },
      },
    },
    async (request) =>
      messageToJson(
        await messages.delete(
          request.params.channelId,
          actorOf(request),
          parseId(request.params.messageId, 'messageId'),
        ),
      ),
  );

  r.put(
    '/channels/:channelId/messages/:messageId/reactions/:emoji',
    {
      schema: {
        operationId: 'messaging.addReaction',
        tags: TAGS,
        summary: 'React (idempotent)',
        headers,
        params: S.ReactionParams,
        response: { 200: S.ReactionChangeView, ...errors },
      },
    },
    async (request) =>
      reactions.add(
        request.params.channelId,
        actorOf(request),
        parseId(request.params.messageId, 'messageId'),
        request.params.emoji,
      ),
  );

  r.delete(
    '/channels/:channelId/messages/:messageId/reactions/:emoji',
    {
      schema: {
        operationId: 'messaging.removeReaction',
        tags: TAGS,
        summary: 'Remove your reaction (idempotent)',
        headers,
        params: S.ReactionParams,
        response: { 200: S.ReactionChangeView, ...errors },
      },
    },
    async (request) =>
      reactions.remove(
        request.params.channelId,
        actorOf(request),
        parseId(request.params.messageId, 'messageId'),
        request.params.emoji,
      ),
  );

  r.get(
    '/channels/:channelId/pins',
    {
      schema: {
        operationId: 'messaging.listPins',
        tags: TAGS,
        summary: 'Pinned messages, newest pin first',
        headers,
        params: S.ChannelParams,
        response: { 200: Type.Object({ pins: Type.Array(S.PinView) }), ...errors },
      },
    },
    async (request) => ({
      pins: (await pins.list(request.params.channelId, actorOf(request))).map(pinToJson),
    }),
  );

  r.put(
    '/channels/:channelId/pins/:messageId',
    {
      schema: {
        operationId: 'messaging.pinMessage',
        tags: TAGS,
        summary: 'Pin a message (idempotent; PIN_LIMIT_REACHED at the limit)',
        headers,
        params: S.MessageParams,
        response: { 200: Type.Object({ changed: Type.Boolean(), pin: S.PinView }), ...errors },
      },
    },
    async (request) => {
      const result = await pins.pin(
        request.params.channelId,
        actorOf(request),
        parseId(request.params.messageId, 'messageId'),
      );
      return { changed: result.changed, pin: pinToJson(result.pin) };
    },
  );

  r.delete(
    '/channels/:channelId/pins/:messageId',
    {
      schema: {
        operationId: 'messaging.unpinMessage',
        tags: TAGS,
        summary: 'Unpin a message (idempotent)',
        headers,
        params: S.MessageParams,
        response: { 200: Type.Object({ changed: Type.Boolean() }), ...errors },
      },
    },
    async (request) =>
      pins.unpin(request.params.channelId, actorOf(request), parseId(request.params.messageId, 'messageId')),
  );

  r.put(
    '/channels/:channelId/read-position',
    {
      schema: {
        operationId: 'messaging.setReadPosition',
        tags: TAGS,
        summary: 'Mark read up to a message (only moves forward)',
        headers,
        params: S.ChannelParams,
        body: S.ReadBody,
        response: {
          200: Type.Object({ moved: Type.Boolean(), lastReadMessageId: S.SnowflakeId }),
          ...errors,
        },
      },
    },
    async (request) => {
      const result = await reads.markRead(
        request.params.channelId,
        actorOf(request),
        parseId(request.body.messageId, 'messageId'),
      );
      return { moved: result.moved, lastReadMessageId: formatId(result.lastReadMessageId) };
    },
  );

  r.get(
    '/channels/:channelId/unread',
    {
      schema: {
        operationId: 'messaging.getUnreadCount',
        tags: TAGS,
        summary: 'Unread count for the acting user',
        headers,
        params: S.ChannelParams,
        response: { 200: S.UnreadView, ...errors },
      },
    },
    async (request) => unreadToJson(await reads.unread(request.params.channelId, actorOf(request))),
  );

  const TypingView = Type.Object({ userId: Type.String(), expiresAt: Type.String({ format: 'date-time' }) });
  r.post(
    '/channels/:channelId/typing',
    {
      schema: {
        operationId: 'messaging.startTyping',
        tags: TAGS,
        summary: 'Signal typing (expires after messaging.typing_ttl_seconds)',
        headers,
        params: S.ChannelParams,
        response: { 200: TypingView, ...errors },
      },
    },
    async (request) => {
      const t = await typing.start(request.params.channelId, actorOf(request));
      return { userId: t.userId, expiresAt: t.expiresAt.toISOString() };
    },
  );

  r.get(
    '/channels/:channelId/typing',
    {
      schema: {
        operationId: 'messaging.listTyping',
        tags: TAGS,
        summary: 'Who is typing now',
        headers,
        params: S.ChannelParams,
        response: { 200: Type.Object({ typing: Type.Array(TypingView) }), ...errors },
      },
    },
    async (request) => ({
      typing: (await typing.list(request.params.channelId, actorOf(request))).map((t) => ({
        userId: t.userId,
        expiresAt: t.expiresAt.toISOString(),
      })),
    }),
  );

  r.get(
    '/channels/:channelId/live',
    {
      schema: {
        operationId: 'messaging.getLiveCounters',
        tags: TAGS,
        summary: 'Live counters: messages this minute, open streams',
        headers,
        params: S.ChannelParams,
        response: {
          200: Type.Object({ messagesThisMinute: Type.Integer(), listeners: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => counters.read(request.params.channelId, actorOf(request)),
  );

  r.put(
    '/presence',
    {
      schema: {
        operationId: 'messaging.setPresence',
        tags: TAGS,
        summary: "Set the acting user's presence (heartbeat while online)",
        headers,
        body: S.PresenceBody,
        response: { 200: S.PresenceView, ...errors },
      },
    },
    async (request) => presenceJson(await presence.set(actorOf(request), request.body.status)),
  );

  r.get(
    '/presence/:userId',
    {
      schema: {
        operationId: 'messaging.getPresence',
        tags: TAGS,
        summary: "A user's presence and last seen time",
        params: Type.Object({ userId: Type.String({ pattern: USER_ID_PATTERN }) }),
        response: { 200: S.PresenceView, ...errors },
      },
    },
    async (request) => presenceJson(await presence.get(request.params.userId)),
  );

  channelEventsRoute(app, services, context);
}

function presenceJson(p: { userId: string; status: string; lastSeenAt: Date | null }) {
  return { userId: p.userId, status: p.status, lastSeenAt: p.lastSeenAt ? p.lastSeenAt.toISOString() : null };
}
