import type { Attachment } from './validation.js';
import type { ChannelKind, ParticipantRole } from './migrations.js';

export type { ChannelKind, ParticipantRole };

export interface Channel {
  id: string;
  title: string;
  kind: ChannelKind;
  createdAt: string;
  createdBy: string;
}

export interface Participant {
  channelId: string;
  userId: string;
  role: ParticipantRole;
  joinedAt: string;
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  /** Whether the reading user is among those who reacted. */
  me: boolean;
}

export interface Message {
  channelId: string;
  id: bigint;
  senderId: string;
  /** Empty for a deleted message. */
  content: string;
  messageType: string;
  source: string;
  replyToId: bigint | null;
  attachments: Attachment[];
  createdAt: Date;
  editedAt: Date | null;
  deleted: boolean;
  /** Present on history pages and single reads for a reader. */
  reactions?: ReactionSummary[];
}

export interface HistoryPage {
  /** Newest first, in every direction. */
  messages: Message[];
  /** Whether older messages exist beyond the page (true for an `after` page: the anchor itself is older). */
  hasOlder: boolean;
  /** Whether newer messages exist beyond the page (false for the newest page). */
  hasNewer: boolean;
}

export interface HistoryQuery {
  limit?: number;
  before?: bigint;
  after?: bigint;
  around?: bigint;
}

export interface SendMessageInput {
  content: string;
  messageType?: string;
  source?: string;
  replyToId?: bigint | null;
  attachments?: Attachment[];
}

export interface UnreadCount {
  channelId: string;
  /** Exact up to the cap, then the cap. */
  count: number;
  capped: boolean;
  /** "0".."99", or "99+" above the cap. */
  display: string;
  lastReadMessageId: bigint | null;
}

export interface Pin {
  channelId: string;
  messageId: bigint;
  pinnedAt: Date;
  pinnedBy: string;
  message: Message | null;
}

export type PresenceStatus = 'online' | 'away' | 'offline';

export interface Presence {
  userId: string;
  status: PresenceStatus;
  lastSeenAt: Date | null;
}
