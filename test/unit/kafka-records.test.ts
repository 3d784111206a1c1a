import { describe, expect, it } from 'vitest';
import { decodePartitionRecords, type FetchedBatch } from '../../src/ports/event-log/kafka/records.js';

const record = (
  offsetDelta: number,
  value: string,
  key: string | null = 'k',
  headers: [string, string][] = [],
) => ({
  offsetDelta,
  timestampDelta: BigInt(offsetDelta),
  key: key === null ? Buffer.alloc(0) : Buffer.from(key),
  value: Buffer.from(value),
  headers: headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as [Buffer, Buffer]),
});

function batch(
  firstOffset: bigint,
  records: FetchedBatch['records'],
  extra: Partial<FetchedBatch> = {},
): FetchedBatch {
  return {
    firstOffset,
    lastOffsetDelta: records.length === 0 ? 0 : Math.max(...records.map((r) => r.offsetDelta)),
    attributes: 0,
    firstTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_000_999n,
    producerId: -1n,
    records,
    ...extra,
  };
}

/** A control batch holding one transaction marker (key: version int16, type int16; 0 = ABORT, 1 = COMMIT). */
function marker(offset: bigint, producerId: bigint, type: 0 | 1): FetchedBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return batch(offset, [{ ...record(0, ''), key }], { attributes: 0x20 | 0x10, producerId });
}

describe('kafka record decoding', () => {
  it('decodes keys, values, headers and timestamps, and the next offset is the committed-offset convention', () => {
    const { messages, next } = decodePartitionRecords('t', 3, 10n, [
      batch(10n, [record(0, 'a', 'session-1', [['kind', 'stt']]), record(1, 'b', null)]),
    ]);
    expect(next).toBe(12n); // the offset after the last record: what Kafka expects committed
    expect(messages.map((m) => [m.offset, m.key, m.value.toString(), m.timestamp])).toEqual([
      [10n, 'session-1', 'a', 1_700_000_000_000],
      [11n, null, 'b', 1_700_000_000_001],
    ]);
    expect(messages[0]).toMatchObject({ topic: 't', partition: 3, headers: { kind: 'stt' } });
    expect(messages[1]!.headers).toEqual({});
  });

  it('skips records of a whole batch that lie before the position', () => {
    const { messages, next } = decodePartitionRecords('t', 0, 12n, [
      batch(10n, [record(0, 'a'), record(1, 'b'), record(2, 'c'), record(3, 'd')]),
    ]);
    expect(messages.map((m) => m.offset)).toEqual([12n, 13n]);
    expect(next).toBe(14n);
  });

  it('moves past compaction gaps and control batches so a partition never sticks', () => {
    // A compacted batch whose last records were removed still ends at lastOffsetDelta.
    const compacted = batch(20n, [record(0, 'x')], { lastOffsetDelta: 4 });
    const { messages, next } = decodePartitionRecords('t', 0, 20n, [compacted, marker(25n, 7n, 1)]);
    expect(messages.map((m) => m.offset)).toEqual([20n]);
    expect(next).toBe(26n);
    // Only a marker: no message, yet the position moves on.
    expect(decodePartitionRecords('t', 0, 30n, [marker(30n, 7n, 1)])).toEqual({ messages: [], next: 31n });
  });

  it('drops the records of aborted transactions (READ_COMMITTED) and keeps committed ones', () => {
    const txn = (first: bigint, producerId: bigint, value: string) =>
      batch(first, [record(0, value)], { attributes: 0x10, producerId });
    const { messages, next } = decodePartitionRecords(
      't',
      0,
      0n,
      [
        txn(0n, 1n, 'aborted'),
        txn(1n, 2n, 'committed'),
        marker(2n, 1n, 0), // abort of producer 1
        marker(3n, 2n, 1), // commit of producer 2
        txn(4n, 1n, 'later-committed'), // producer 1 again, in a new transaction
        marker(5n, 1n, 1),
      ],
      [{ producerId: 1n, firstOffset: 0n }],
    );
    expect(messages.map((m) => m.value.toString())).toEqual(['committed', 'later-committed']);
    expect(next).toBe(6n);
  });

  it('uses the batch max timestamp on a LogAppendTime topic', () => {
    const { messages } = decodePartitionRecords('t', 0, 0n, [
      batch(0n, [record(0, 'a'), record(1, 'b')], { attributes: 0x08 }),
    ]);
    expect(messages.map((m) => m.timestamp)).toEqual([1_700_000_000_999, 1_700_000_000_999]);
  });
});
