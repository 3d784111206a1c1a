import { batchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { EffectChange, EffectTarget } from './effects.js';
import { idToTime } from './ids.js';
import { channelMetadataTable } from './tables.js';
import { BoundedMemo } from '../../shared/bounded-memo.js';

/** Channels whose newest written id this process remembers (beyond it, one read per channel). */
const REMEMBERED_MAX = 50_000;

/**
 * The channel's last-message fields (`channel_metadata.last_message_id` / `last_message_at`),
 * kept from the effects outbox instead of in every send's write (issue 19): nothing a caller
 * relies on when a send returns reads them, so they may lag by the effects lag, and a busy
 * channel's page of sends costs one write instead of one per message.
 *
 * Applying is idempotent and moves forward only as far as this process knows: per channel,
 * the newest id among the page's stored messages is written only when it is newer than what
 * the row held when this process last read or wrote it (read once per channel per process,
 * then remembered), so a replayed page or an edit of an older message changes nothing. When
 * several processes write one channel, one that remembers an older value can put an older id
 * back (last writer wins); it stays until a newer message's effect is applied. Nothing in
 * Switchboard reads these fields; a reader that needs the exact newest message reads history.
 */
export class ChannelLastMessage implements EffectTarget {
  private readonly newest = new BoundedMemo<string, bigint>(REMEMBERED_MAX);

  constructor(private readonly engine: WideColumnEngine) {}

  async sync(changes: EffectChange[]): Promise<void> {
    const candidates = new Map<string, bigint>();
    for (const { channelId, messageId, message } of changes) {
      // A message no longer stored (its write failed) was never the last one.
      if (message === null) continue;
      const best = candidates.get(channelId);
      if (best === undefined || messageId > best) candidates.set(channelId, messageId);
    }
    const moved = (
      await Promise.all(
        [...candidates].map(async ([channelId, id]) => {
          const known = this.newest.get(channelId) ?? (await this.stored(channelId));
          return known !== null && known >= id ? [] : [[channelId, id] as const];
        }),
      )
    ).flat();
    if (moved.length === 0) return;
    // One write for the page: one transaction embedded, concurrent statements on ScyllaDB.
    await this.engine.batch(
      moved.map(([channelId, id]) =>
        batchOp.update(
          channelMetadataTable,
          { channel_id: channelId },
          { last_message_id: id, last_message_at: idToTime(id) },
        ),
      ),
      { atomic: false },
    );
    for (const [channelId, id] of moved) this.newest.set(channelId, id);
  }

  private async stored(channelId: string): Promise<bigint | null> {
    const row = await this.engine.get(channelMetadataTable, { channel_id: channelId });
    const id = row?.last_message_id ?? null;
    if (id !== null) this.newest.set(channelId, id);
    return id;
  }
}
