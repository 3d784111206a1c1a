import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import { allPages, allRows } from '../../ports/wide-column/rows.js';
import { bucketOfId, bucketOfTime } from './buckets.js';
import type { MessageRow } from './message-store.js';
import { channelBucketsTable, messagesTable } from './tables.js';

/**
 * Reads a channel's messages across buckets in either direction. The channel's non-empty
 * buckets come from channel_buckets, so an empty 10-day window costs nothing and a walk
 * stops at the channel's first bucket instead of going back to the epoch. Paging is by id
 * (keyset), and Snowflake ids are unique and ordered, so pages neither lose nor repeat a
 * message even while new ones arrive.
 */
export type Direction = 'older' | 'newer';

export interface ScanFrom {
  /** Anchor id; absent means from the newest (older) or the oldest (newer) message. */
  id?: bigint;
  /** Whether the anchor itself is included. */
  inclusive?: boolean;
  /** Epoch ms now by the clock ids are minted with, to guess the newest bucket (default Date.now()). */
  now?: number;
}

const BUCKET_PAGE = 64;

async function* bucketsOf(
  engine: WideColumnEngine,
  channelId: string,
  direction: Direction,
  from: bigint | undefined,
): AsyncGenerator<number> {
  const start = from === undefined ? undefined : bucketOfId(from);
  const buckets = allRows(
    engine,
    channelBucketsTable,
    {
      key: { channel_id: channelId },
      ...(start === undefined
        ? {}
        : {
            range:
              direction === 'older' ? { column: 'bucket', lte: start } : { column: 'bucket', gte: start },
          }),
      order: direction === 'older' ? 'DESC' : 'ASC',
    },
    BUCKET_PAGE,
  );
  for await (const row of buckets) yield row.bucket;
}

/**
 * The pages of message rows from `from` in `direction` (one store query each, `batch` rows
 * at most, never empty). Callers stop iterating when they have enough; nothing beyond the
 * current query is read.
 */
export async function* scanPages(
  engine: WideColumnEngine,
  channelId: string,
  direction: Direction,
  from: ScanFrom = {},
  batch = 100,
): AsyncGenerator<MessageRow[]> {
  const anchor = from.id;
  const bound =
    anchor === undefined
      ? undefined
      : direction === 'older'
        ? from.inclusive
          ? { lte: anchor }
          : { lt: anchor }
        : from.inclusive
          ? { gte: anchor }
          : { gt: anchor };
  const query = (bucket: number) => {
    // The bound only narrows the anchor's own bucket; in the others every id is already on the right side.
    const range =
      bound && bucket === bucketOfId(anchor!) ? { column: 'message_id' as const, ...bound } : undefined;
    return {
      key: { channel_id: channelId, bucket },
      ...(range ? { range } : {}),
      order: direction === 'older' ? ('DESC' as const) : ('ASC' as const),
    };
  };
  // The first bucket is nearly always known before channel_buckets answers: the anchor's own,
  // or for the newest page the current one (an active channel's). Its first page is read at
  // the same time as the bucket list, which on ScyllaDB takes a round trip out of the
  // sequence; it is used only if the list's first bucket is that one. A wrong guess costs one
  // read (of an empty partition, for the current bucket of a quiet channel), never a wrong
  // page. The embedded engine has no round trip to save, so it reads in sequence.
  const guess =
    engine.kind === 'embedded'
      ? undefined
      : anchor !== undefined
        ? bucketOfId(anchor)
        : direction === 'older'
          ? bucketOfTime(from.now ?? Date.now())
          : undefined;
  let early =
    guess === undefined ? undefined : engine.slice(messagesTable, { ...query(guess), limit: batch });
  // Unused (a wrong guess, or the caller stopped first), its failure must not go unhandled.
  early?.catch(() => {});
  for await (const bucket of bucketsOf(engine, channelId, direction, anchor)) {
    const first = bucket === guess ? early : undefined;
    early = undefined;
    yield* allPages(engine, messagesTable, query(bucket), batch, first);
  }
}

/**
 * Yields message rows from `from` in `direction`, reading `batch` rows per store query.
 * Callers stop iterating when they have enough; nothing beyond the current query is read.
 */
export async function* scanMessages(
  engine: WideColumnEngine,
  channelId: string,
  direction: Direction,
  from: ScanFrom = {},
  batch = 100,
): AsyncGenerator<MessageRow> {
  for await (const rows of scanPages(engine, channelId, direction, from, batch)) yield* rows;
}

/** Up to `limit` rows from `from` in `direction`, and whether more exist beyond them. */
export async function collect(
  engine: WideColumnEngine,
  channelId: string,
  direction: Direction,
  from: ScanFrom,
  limit: number,
): Promise<{ rows: MessageRow[]; more: boolean }> {
  const rows: MessageRow[] = [];
  // One extra row answers "is there more" without a second query. Pages, not rows: a page of
  // 50 read row by row through the generators cost about as much again as reading it.
  for await (const page of scanPages(engine, channelId, direction, from, limit + 1)) {
    for (const row of page) {
      if (rows.length === limit) return { rows, more: true };
      rows.push(row);
    }
  }
  return { rows, more: false };
}
