import { formatId } from './ids.js';
import type { HistoryPage, Message, Pin, UnreadCount } from './types.js';

/** JSON shapes: ids as decimal strings (a JS number would round them), times as ISO strings. */
export interface MessageJson {
  channelId: string;
  id: string;
  senderId: string;
  content: string;
  messageType: string;
  source: string;
  replyToId: string | null;
  attachments: Message['attachments'];
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  reactions?: Message['reactions'];
}

export function messageToJson(m: Message): MessageJson {
  return {
    channelId: m.channelId,
    id: formatId(m.id),
    senderId: m.senderId,
    content: m.content,
    messageType: m.messageType,
    source: m.source,
    replyToId: m.replyToId === null ? null : formatId(m.replyToId),
    attachments: m.attachments,
    createdAt: m.createdAt.toISOString(),
    editedAt: m.editedAt ? m.editedAt.toISOString() : null,
    deleted: m.deleted,
    ...(m.reactions ? { reactions: m.reactions } : {}),
  };
}

export function pageToJson(page: HistoryPage) {
  return { messages: page.messages.map(messageToJson), hasOlder: page.hasOlder, hasNewer: page.hasNewer };
}

export function pinToJson(pin: Pin) {
  return {
    channelId: pin.channelId,
    messageId: formatId(pin.messageId),
    pinnedAt: pin.pinnedAt.toISOString(),
    pinnedBy: pin.pinnedBy,
    message: pin.message ? messageToJson(pin.message) : null,
  };
}

export function unreadToJson(u: UnreadCount) {
  return {
    channelId: u.channelId,
    count: u.count,
    capped: u.capped,
    display: u.display,
    lastReadMessageId: u.lastReadMessageId === null ? null : formatId(u.lastReadMessageId),
  };
}
