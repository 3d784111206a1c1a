import type { Logger } from 'pino';
import { SwitchboardError } from '../../errors/index.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import type { ChatService } from './chats.js';
import type { EventSink } from './events.js';
import { formatId } from './ids.js';
import { rowToMessage, type MessageStore } from './message-store.js';
import { notFound } from './messages.js';
import { channelPinStateTable, pinnedMessagesTable } from './tables.js';
import type { Pin } from './types.js';
import { checkChannelId } from './validation.js';

const MAX_ATTEMPTS = 32;

interface PinEntry {
  pinnedAt: Date;
  pinnedBy: string;
}

function decode(value: string): PinEntry {
  const bar = value.indexOf('|');
  return { pinnedAt: new Date(value.slice(0, bar)), pinnedBy: value.slice(bar + 1) };
}

/**
 * Pins, newest first, at most `limit` per channel. Every pin and unpin is a compare-and-set
 * on the channel's pin-state row (version number), so concurrent pins cannot overshoot the
 * limit or pin one message twice: the loser re-reads and re-decides. The pinned_messages row
 * is written after the state change; if that write is lost, pinning again repairs it.
 */
export class PinService {
  constructor(
    private readonly engine: WideColumnEngine,
    private readonly store: MessageStore,
    private readonly chats: ChatService,
    private readonly events: EventSink,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly limit: number,
  ) {}

  async pin(channelId: string, actor: string, messageId: bigint): Promise<{ changed: boolean; pin: Pin }> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    const row = await this.store.get(id, messageId);
    if (!row || row.deleted) throw notFound(messageId);
    const key = formatId(messageId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const state = await this.engine.get(channelPinStateTable, { channel_id: id });
      const pins = state?.pins ?? {};
      const existing = pins[key];
      if (existing !== undefined) {
        const entry = decode(existing);
        await this.writeRow(id, messageId, entry);
        return { changed: false, pin: { channelId: id, messageId, ...entry, message: rowToMessage(row) } };
      }
      if (Object.keys(pins).length >= this.limit) {
        throw new SwitchboardError(
          'PIN_LIMIT_REACHED',
          `The channel already has ${this.limit} pins; unpin one first`,
          {
            field: 'messageId',
            details: { limit: this.limit },
          },
        );
      }
      const entry = { pinnedAt: this.clock.now(), pinnedBy: actor };
      const next = { ...pins, [key]: `${entry.pinnedAt.toISOString()}|${actor}` };
      const applied = state
        ? (
            await this.engine.update(
              channelPinStateTable,
              { channel_id: id },
              { version: (state.version ?? 0) + 1, pins: next },
              { if: { version: state.version } },
            )
          ).applied
        : (
            await this.engine.insert(
              channelPinStateTable,
              { channel_id: id, version: 1, pins: next },
              { ifNotExists: true },
            )
          ).applied;
      if (!applied) continue;
      await this.writeRow(id, messageId, entry);
      await this.publish('pin.added', id, messageId, actor);
      return { changed: true, pin: { channelId: id, messageId, ...entry, message: rowToMessage(row) } };
    }
    throw contended();
  }

  async unpin(channelId: string, actor: string, messageId: bigint): Promise<{ changed: boolean }> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    const key = formatId(messageId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const state = await this.engine.get(channelPinStateTable, { channel_id: id });
      const existing = state?.pins?.[key];
      if (!state || existing === undefined) return { changed: false };
      const { [key]: _removed, ...rest } = state.pins!;
      const { applied } = await this.engine.update(
        channelPinStateTable,
        { channel_id: id },
        { version: (state.version ?? 0) + 1, pins: Object.keys(rest).length > 0 ? rest : null },
        { if: { version: state.version } },
      );
      if (!applied) continue;
      const entry = decode(existing);
      await this.engine.delete(pinnedMessagesTable, {
        channel_id: id,
        pinned_at: entry.pinnedAt,
        message_id: messageId,
      });
      await this.publish('pin.removed', id, messageId, actor);
      return { changed: true };
    }
    throw contended();
  }

  /** Pins newest first, each with its message (a deleted message reads as a tombstone). */
  async list(channelId: string, actor: string): Promise<Pin[]> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    const page = await this.engine.slice(pinnedMessagesTable, {
      key: { channel_id: id },
      limit: Math.max(this.limit, 1),
    });
    return Promise.all(
      page.rows.map(async (r) => {
        const message = await this.store.get(id, r.message_id);
        return {
          channelId: id,
          messageId: r.message_id,
          pinnedAt: r.pinned_at,
          pinnedBy: r.pinned_by ?? '',
          message: message ? rowToMessage(message) : null,
        };
      }),
    );
  }

  private async writeRow(channelId: string, messageId: bigint, entry: PinEntry): Promise<void> {
    await this.engine.insert(pinnedMessagesTable, {
      channel_id: channelId,
      pinned_at: entry.pinnedAt,
      message_id: messageId,
      pinned_by: entry.pinnedBy,
    });
  }

  private async publish(
    type: 'pin.added' | 'pin.removed',
    channelId: string,
    messageId: bigint,
    userId: string,
  ) {
    await this.events
      .publish({ type, channelId, messageId: formatId(messageId), userId })
      .catch((error: Error) => this.logger.warn({ channelId, err: error }, 'live event publish failed'));
  }
}

function contended(): SwitchboardError {
  return new SwitchboardError('CONTENDED', 'Too many concurrent pin changes in this channel; retry');
}
