import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { ChatService } from './chats.js';
import type { LiveEvent, LiveEvents } from './events.js';
import { scanMessages } from './history.js';
import { rowToMessage } from './message-store.js';
import { messageToJson } from './serialize.js';
import { checkChannelId } from './validation.js';

export interface StreamDelivery {
  /** The message id for message.created events (the SSE `id:`), else undefined. */
  id?: string;
  event: LiveEvent;
}

export interface ChannelStream {
  close(): Promise<void>;
}

/**
 * A channel's live events for one member, resuming after `after` (a message id) when given.
 *
 * No gap: it subscribes first and buffers, then replays from the store every message after
 * `after`, then drains the buffer and goes live. A message is stored before it is
 * published, so one published before the subscription is already in the store when the
 * replay reads it, and one published after is in the buffer. No duplicate: created
 * events for messages the replay already delivered are dropped. Edits, deletions and
 * reactions that happened while disconnected are not replayed (clients refetch the pages
 * they show); only new messages carry an id to resume from.
 */
export async function openChannelStream(
  deps: { engine: WideColumnEngine; chats: ChatService; events: LiveEvents },
  channelId: string,
  actor: string,
  options: { after?: bigint; deliver: (delivery: StreamDelivery) => void },
): Promise<ChannelStream> {
  const id = checkChannelId(channelId);
  await deps.chats.requireMember(id, actor);
  const replayed = new Set<string>();
  let buffer: LiveEvent[] | null = [];
  let closed = false;
  const deliver = (event: LiveEvent) => {
    if (closed) return;
    if (event.type === 'message.created') {
      if (replayed.has(event.message.id)) return;
      options.deliver({ id: event.message.id, event });
    } else {
      options.deliver({ event });
    }
  };
  const unsubscribe = await deps.events.subscribe(id, (event) => {
    if (buffer) buffer.push(event);
    else deliver(event);
  });
  try {
    if (options.after !== undefined) {
      for await (const row of scanMessages(deps.engine, id, 'newer', { id: options.after }, 100)) {
        if (closed) break;
        const message = messageToJson(rowToMessage(row));
        options.deliver({ id: message.id, event: { type: 'message.created', channelId: id, message } });
        replayed.add(message.id);
      }
    }
    const pending = buffer;
    buffer = null;
    for (const event of pending) deliver(event);
  } catch (error) {
    await unsubscribe();
    throw error;
  }
  return {
    async close() {
      if (closed) return;
      closed = true;
      await unsubscribe();
    },
  };
}
