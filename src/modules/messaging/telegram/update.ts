import { Type } from '@sinclair/typebox';

/**
 * The parts of the Telegram Bot API `Update` and `Message` objects the bridge reads
 * (https://core.telegram.org/bots/api#update). Telegram adds fields over time, so the
 * schema accepts any others and ignores them. Ids: chat ids can exceed 32 bits (supergroups
 * are -100...) but stay within 52, so they are exact as JS numbers.
 */
export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TelegramChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
}

export interface TelegramFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  mime_type?: string;
  file_name?: string;
}

export interface TelegramMessage {
  message_id: number;
  from?: TelegramUser;
  /** Set for channel posts and messages sent on behalf of a chat. */
  sender_chat?: TelegramChat;
  date: number;
  chat: TelegramChat;
  edit_date?: number;
  text?: string;
  caption?: string;
  reply_to_message?: TelegramMessage;
  /** Sizes of one photo, smallest first. */
  photo?: (TelegramFile & { width: number; height: number })[];
  document?: TelegramFile;
  audio?: TelegramFile & { duration: number };
  voice?: TelegramFile & { duration: number };
  video?: TelegramFile & { width: number; height: number; duration: number };
  video_note?: TelegramFile & { length: number; duration: number };
  sticker?: TelegramFile & { width: number; height: number };
}

export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
  edited_message?: TelegramMessage;
  channel_post?: TelegramMessage;
  edited_channel_post?: TelegramMessage;
  [other: string]: unknown;
}

export const MESSAGE_KINDS = ['message', 'edited_message', 'channel_post', 'edited_channel_post'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export type ClassifiedUpdate =
  | { kind: MessageKind; message: TelegramMessage; edit: boolean }
  | { kind: 'unsupported'; name: string; chatId: number | null };

/** Which part of the update is present (Telegram sends at most one). */
export function classifyUpdate(update: TelegramUpdate): ClassifiedUpdate {
  for (const kind of MESSAGE_KINDS) {
    const message = update[kind];
    if (message) return { kind, message, edit: kind.startsWith('edited_') };
  }
  const name = Object.keys(update).find((k) => k !== 'update_id') ?? 'empty';
  const body = update[name] as { chat?: { id?: unknown }; message?: { chat?: { id?: unknown } } } | undefined;
  const chatId = body?.chat?.id ?? body?.message?.chat?.id;
  return { kind: 'unsupported', name, chatId: typeof chatId === 'number' ? chatId : null };
}

const Int = Type.Integer();
const ChatSchema = Type.Object(
  {
    id: Int,
    type: Type.String(),
    title: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const UserSchema = Type.Object(
  { id: Int, is_bot: Type.Boolean(), first_name: Type.String() },
  { additionalProperties: true },
);
const FileSchema = Type.Object(
  {
    file_id: Type.String(),
    file_unique_id: Type.String(),
    file_size: Type.Optional(Int),
    mime_type: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const MessageSchema = Type.Object(
  {
    message_id: Int,
    from: Type.Optional(UserSchema),
    sender_chat: Type.Optional(ChatSchema),
    date: Int,
    chat: ChatSchema,
    edit_date: Type.Optional(Int),
    text: Type.Optional(Type.String()),
    caption: Type.Optional(Type.String()),
    reply_to_message: Type.Optional(Type.Object({ message_id: Int }, { additionalProperties: true })),
    photo: Type.Optional(Type.Array(FileSchema)),
    document: Type.Optional(FileSchema),
    audio: Type.Optional(FileSchema),
    voice: Type.Optional(FileSchema),
    video: Type.Optional(FileSchema),
  },
  { additionalProperties: true },
);

/** A real-shaped update: a customer's text reply in a private chat with the bot. */
export const UPDATE_EXAMPLE = {
  update_id: 874512036,
  message: {
    message_id: 1365,
    from: {
      id: 123456789,
      is_bot: false,
      first_name: 'Dana',
      last_name: 'Levi',
      username: 'dana_l',
      language_code: 'en',
    },
    chat: { id: 123456789, first_name: 'Dana', last_name: 'Levi', username: 'dana_l', type: 'private' },
    date: 1717171717,
    reply_to_message: {
      message_id: 1364,
      from: { id: 7000000001, is_bot: true, first_name: 'Switchboard Support', username: 'sb_support_bot' },
      chat: { id: 123456789, first_name: 'Dana', last_name: 'Levi', username: 'dana_l', type: 'private' },
      date: 1717171600,
      text: 'Your appointment is confirmed for 10:30. Reply here to change it.',
    },
    text: 'Can we move it to 11:00?',
  },
};

/** A photo with a caption posted to a channel (no `from`; the channel is `sender_chat`). */
export const CHANNEL_PHOTO_EXAMPLE = {
  update_id: 874512037,
  channel_post: {
    message_id: 88,
    sender_chat: { id: -1001234567890, title: 'Branch news', type: 'channel' },
    chat: { id: -1001234567890, title: 'Branch news', type: 'channel' },
    date: 1717172000,
    photo: [
      { file_id: 'AgACAgQAAxkBAAIBY2Z', file_unique_id: 'AQADt7ExG', file_size: 1262, width: 90, height: 67 },
      {
        file_id: 'AgACAgQAAxkBAAIBY2Y',
        file_unique_id: 'AQADt7ExH',
        file_size: 51744,
        width: 800,
        height: 600,
      },
    ],
    caption: 'The downtown branch opens at 9:00 tomorrow.',
  },
};

export const UpdateSchema = Type.Object(
  {
    update_id: Int,
    message: Type.Optional(MessageSchema),
    edited_message: Type.Optional(MessageSchema),
    channel_post: Type.Optional(MessageSchema),
    edited_channel_post: Type.Optional(MessageSchema),
  },
  {
    additionalProperties: true,
    description:
      'A Telegram Bot API Update; kinds other than (edited_)message and (edited_)channel_post are acknowledged and recorded',
    examples: [UPDATE_EXAMPLE, CHANNEL_PHOTO_EXAMPLE],
  },
);
