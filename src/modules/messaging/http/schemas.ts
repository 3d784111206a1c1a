import { Type } from '@sinclair/typebox';
import { USER_ID_PATTERN } from '../../../shared/user-id.js';

/**
 * TypeBox schemas of the messaging routes. Ids are decimal strings in JSON (64-bit); the
 * services parse them and answer INVALID_ID naming the field. The acting end user is the
 * `X-User-Id` header: the API key identifies the integration, not the person.
 */
const ID_EXAMPLE = '1234567890123456789';
export const SnowflakeId = Type.String({ pattern: '^[0-9]{1,19}$', examples: [ID_EXAMPLE] });
const ChannelIdSchema = Type.String({ format: 'uuid', examples: ['0b8f1a52-6c7e-4d1f-9a0e-3e5f2b7c9d10'] });
const DateTime = Type.String({ format: 'date-time' });
const UserId = Type.String({ pattern: USER_ID_PATTERN, examples: ['user-42'] });
const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
const Kind = Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('support')]);

export const ActorHeaders = Type.Object({
  'x-user-id': Type.String({
    pattern: USER_ID_PATTERN,
    description: 'The end user acting (API keys identify the integration, not the user)',
    examples: ['user-42'],
  }),
});

export const ChannelParams = Type.Object({ channelId: ChannelIdSchema });
export const MessageParams = Type.Object({
  channelId: ChannelIdSchema,
  messageId: Type.String({ examples: [ID_EXAMPLE] }),
});
export const ReactionParams = Type.Object({
  channelId: ChannelIdSchema,
  messageId: Type.String({ examples: [ID_EXAMPLE] }),
  emoji: Type.String({ minLength: 1, maxLength: 64, examples: ['👍'] }),
});
export const ParticipantParams = Type.Object({ channelId: ChannelIdSchema, userId: UserId });

const Attachment = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 2048 })),
    url: Type.Optional(Type.String({ maxLength: 2048 })),
    mimeType: Type.Optional(Type.String({ maxLength: 2048 })),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
    externalId: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);

const ReactionSummary = Type.Object({ emoji: Type.String(), count: Type.Integer(), me: Type.Boolean() });

export const MessageView = Type.Object(
  {
    channelId: Type.String(),
    id: SnowflakeId,
    senderId: Type.String(),
    content: Type.String(),
    messageType: Type.String(),
    source: Type.String(),
    replyToId: Type.Union([SnowflakeId, Type.Null()]),
    attachments: Type.Array(Attachment),
    createdAt: DateTime,
    editedAt: Type.Union([DateTime, Type.Null()]),
    deleted: Type.Boolean(),
    reactions: Type.Optional(Type.Array(ReactionSummary)),
  },
  {
    examples: [
      {
        channelId: '0b8f1a52-6c7e-4d1f-9a0e-3e5f2b7c9d10',
        id: ID_EXAMPLE,
        senderId: 'user-42',
        content: 'Your branch visit is booked for 11:00 tomorrow.',
        messageType: 'text',
        source: 'api',
        replyToId: null,
        attachments: [],
        createdAt: '2026-12-07T09:30:00.000Z',
        editedAt: null,
        deleted: false,
        reactions: [{ emoji: '👍', count: 1, me: false }],
      },
    ],
  },
);

export const HistoryView = Type.Object({
  messages: Type.Array(MessageView),
  hasOlder: Type.Boolean(),
  hasNewer: Type.Boolean(),
});

export const HistoryQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ description: '1 to 100, default 50', examples: ['50'] })),
    before: Type.Optional(Type.String({ examples: [ID_EXAMPLE] })),
    after: Type.Optional(Type.String({ examples: [ID_EXAMPLE] })),
    around: Type.Optional(Type.String({ examples: [ID_EXAMPLE] })),
  },
  { additionalProperties: false },
);

export const SendBody = Type.Object(
  {
    content: Type.String({
      description: 'At most messaging.content_max_length characters (CONTENT_TOO_LONG)',
    }),
    messageType: Type.Optional(Type.String({ examples: ['text'] })),
    source: Type.Optional(Type.String({ examples: ['web'] })),
    replyToId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    attachments: Type.Optional(Type.Array(Attachment, { maxItems: 10 })),
  },
  {
    additionalProperties: false,
    examples: [{ content: 'Your appointment is confirmed for 10:30.', messageType: 'text', source: 'agent' }],
  },
);

export const EditBody = Type.Object(
  { content: Type.String() },
  { additionalProperties: false, examples: [{ content: 'Your appointment is confirmed for 11:00.' }] },
);

export const CreateChannelBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    kind: Kind,
    participants: Type.Optional(
      Type.Array(
        Type.Object({ userId: UserId, role: Type.Optional(Role) }, { additionalProperties: false }),
        {
          maxItems: 1000,
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      { title: 'Support: loan #8812', kind: 'support', participants: [{ userId: 'agent-7', role: 'admin' }] },
    ],
  },
);

export const ChannelView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  kind: Kind,
  createdAt: DateTime,
  createdBy: Type.String(),
});

export const ParticipantView = Type.Object({
  channelId: Type.String(),
  userId: Type.String(),
  role: Role,
  joinedAt: DateTime,
});

export const AddParticipantBody = Type.Object(
  { userId: UserId, role: Type.Optional(Role) },
  { additionalProperties: false, examples: [{ userId: 'user-43', role: 'member' }] },
);

export const ReactionChangeView = Type.Object({
  changed: Type.Boolean(),
  emoji: Type.String(),
  count: Type.Integer(),
});

export const PinView = Type.Object({
  channelId: Type.String(),
  messageId: SnowflakeId,
  pinnedAt: DateTime,
  pinnedBy: Type.String(),
  message: Type.Union([MessageView, Type.Null()]),
});

export const ReadBody = Type.Object(
  { messageId: Type.String() },
  { additionalProperties: false, examples: [{ messageId: ID_EXAMPLE }] },
);

export const UnreadView = Type.Object({
  channelId: Type.String(),
  count: Type.Integer(),
  capped: Type.Boolean(),
  display: Type.String({ examples: ['7', '99+'] }),
  lastReadMessageId: Type.Union([SnowflakeId, Type.Null()]),
});

export const PresenceBody = Type.Object(
  { status: Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('offline')]) },
  { additionalProperties: false, examples: [{ status: 'online' }] },
);

export const PresenceView = Type.Object({
  userId: Type.String(),
  status: Type.String(),
  lastSeenAt: Type.Union([DateTime, Type.Null()]),
});

export const EventsQuery = Type.Object(
  {
    after: Type.Optional(
      Type.String({
        description:
          'Resume after this message id: every event since it, except the creation of it and older messages. Last-Event-ID (a feed event id) wins when both are sent.',
      }),
    ),
  },
  { additionalProperties: false },
);
