import type { Attachment } from '../validation.js';
import type { TelegramFile, TelegramMessage } from './update.js';

/**
 * Telegram senders become Switchboard users by a fixed rule, so the same person is the same
 * user in every chat and across restarts: `tg:<user id>` for people and bots, and
 * `tg-chat:<chat id>` for posts made on behalf of a chat (channel posts, anonymous admins).
 */
export function senderIdOf(message: TelegramMessage): string {
  if (message.sender_chat) return `tg-chat:${message.sender_chat.id}`;
  if (message.from) return `tg:${message.from.id}`;
  return `tg-chat:${message.chat.id}`;
}

/** The Switchboard user a bot acts as (creator of the channels it opens, sender of nothing). */
export function botUserId(botId: string): string {
  return `tg-bot:${botId}`;
}

export interface ConvertedMessage {
  content: string;
  messageType: string;
  attachments: Attachment[];
}

function file(f: TelegramFile, fallbackMime?: string, name?: string): Attachment {
  const mimeType = f.mime_type ?? fallbackMime;
  const fileName = f.file_name ?? name;
  return {
    // The file_id is what the Bot API's getFile needs to fetch the bytes later.
    externalId: f.file_id,
    ...(fileName ? { name: fileName } : {}),
    ...(mimeType ? { mimeType } : {}),
    ...(f.file_size !== undefined ? { size: f.file_size } : {}),
  };
}

/**
 * Text or caption as the content; media as attachment metadata (the file_id and what
 * Telegram says about it, never the bytes). A photo arrives as several sizes of one image:
 * the largest is kept. Returns null for messages with neither text nor supported media
 * (service messages, locations, polls...), which the bridge records instead of storing.
 */
export function convertMessage(message: TelegramMessage): ConvertedMessage | null {
  const content = message.text ?? message.caption ?? '';
  const attachments: Attachment[] = [];
  let messageType = 'text';
  if (message.photo && message.photo.length > 0) {
    const largest = message.photo.reduce((a, b) => ((b.file_size ?? 0) >= (a.file_size ?? 0) ? b : a));
    attachments.push(file(largest, 'image/jpeg'));
    messageType = 'photo';
  } else if (message.video) {
    attachments.push(file(message.video, 'video/mp4'));
    messageType = 'video';
  } else if (message.voice) {
    attachments.push(file(message.voice, 'audio/ogg'));
    messageType = 'voice';
  } else if (message.audio) {
    attachments.push(file(message.audio, 'audio/mpeg'));
    messageType = 'audio';
  } else if (message.video_note) {
    attachments.push(file(message.video_note, 'video/mp4'));
    messageType = 'video_note';
  } else if (message.sticker) {
    attachments.push(file(message.sticker, 'image/webp'));
    messageType = 'sticker';
  } else if (message.document) {
    attachments.push(file(message.document));
    messageType = 'document';
  }
  if (content.length === 0 && attachments.length === 0) return null;
  return { content, messageType, attachments };
}

/** A title for a channel created for a chat. */
export function chatTitle(message: TelegramMessage): string {
  const chat = message.chat;
  const name = chat.title ?? [chat.first_name, chat.last_name].filter(Boolean).join(' ');
  const label = name || (chat.username ? `@${chat.username}` : `chat ${chat.id}`);
  return `Telegram: ${label}`.slice(0, 200);
}
