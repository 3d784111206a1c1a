import type { LogMessage } from '../log.js';

/** The parts of a fetched record batch (`@platformatic/kafka` RecordsBatch) that decoding needs. */
export interface FetchedBatch {
  firstOffset: bigint;
  lastOffsetDelta: number;
  attributes: number;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  records: {
    offsetDelta: number;
    timestampDelta: bigint;
    key: Buffer | null;
    value: Buffer | null;
    headers: [Buffer | null, Buffer | null][];
  }[];
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** Record batch attribute bits (Kafka message format v2). */
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
/** Control record type in the key of a control batch: 0 = ABORT, 1 = COMMIT. */
const ABORT_MARKER = 0;

/**
 * Turns the record batches of one partition's fetch response into messages at or after
 * `position`, and returns the next offset to fetch. Follows the Java consumer:
 * - the next offset is the end of the last whole batch (`firstOffset + lastOffsetDelta + 1`),
 *   even when compaction or control batches leave no message there, so a partition never sticks;
 * - a fetch returns whole batches, which may start before `position`: earlier records are skipped;
 * - control batches (transaction markers) are not messages;
 * - with READ_COMMITTED (the library's default isolation) the broker stops at the last stable
 *   offset but still returns the records of aborted transactions, listed in
 *   `abortedTransactions`: the client must drop them itself;
 * - a LogAppendTime topic stamps the batch's maxTimestamp on every record.
 */
export function decodePartitionRecords(
  topic: string,
  partition: number,
  position: bigint,
  batches: readonly FetchedBatch[],
  abortedTransactions: readonly AbortedTransaction[] = [],
): { messages: LogMessage[]; next: bigint } {
  const messages: LogMessage[] = [];
  let next = position;
  const pendingAborts = [...abortedTransactions].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  const abortedProducers = new Set<bigint>();
  for (const batch of batches) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (last + 1n > next) next = last + 1n;
    // Transactions aborted at or before the end of this batch are now in force.
    while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset <= last) {
      abortedProducers.add(pendingAborts.shift()!.producerId);
    }
    if (batch.attributes & CONTROL) {
      const markerKey = batch.records[0]?.key;
      if (markerKey && markerKey.length >= 4 && markerKey.readInt16BE(2) === ABORT_MARKER) {
        abortedProducers.delete(batch.producerId);
      }
      continue;
    }
    if (batch.attributes & TRANSACTIONAL && abortedProducers.has(batch.producerId)) continue;
    const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      if (offset < position) continue;
      const headers: Record<string, string> = {};
      for (const [hk, hv] of r.headers) {
        if (hk) headers[hk.toString('utf8')] = hv ? hv.toString('utf8') : '';
      }
      messages.push({
        topic,
        partition,
        offset,
        // The wire format cannot tell a null key from an empty one (the library reads both as
        // an empty buffer); Switchboard always publishes a key, so empty reads back as null.
        key: r.key && r.key.length > 0 ? r.key.toString('utf8') : null,
        value: r.value ?? Buffer.alloc(0),
        headers,
        timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta),
      });
    }
  }
  return { messages, next };
}
