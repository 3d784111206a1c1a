import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import {
  BUCKET_MS,
  bucketOfId,
  bucketOfTime,
  maxIdOfBucket,
  minIdOfBucket,
} from '../../../src/modules/messaging/buckets.js';
import {
  composeId,
  decomposeId,
  idToTime,
  parseId,
  SNOWFLAKE_EPOCH_MS,
} from '../../../src/modules/messaging/ids.js';
import { SnowflakeGenerator } from '../../../src/modules/messaging/snowflake.js';
import { FakeTime } from './helpers.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('Snowflake ids', () => {
  it('lays out 42 bits of ms since 2024-01-01, 10 bits of worker, 12 bits of sequence', () => {
    const id = composeId(T0 - SNOWFLAKE_EPOCH_MS, 513, 4095);
    expect(decomposeId(id)).toEqual({ ms: T0 - SNOWFLAKE_EPOCH_MS, workerId: 513, sequence: 4095 });
    expect(idToTime(id).getTime()).toBe(T0);
    expect(id >> 22n).toBe(BigInt(T0 - SNOWFLAKE_EPOCH_MS));
    expect(composeId(0, 0, 0)).toBe(0n);
  });

  it('stays strictly increasing through a burst of 20 000 ids within one millisecond', async () => {
    const time = new FakeTime(T0);
    const gen = new SnowflakeGenerator({ workerId: 7, time });
    const ids: bigint[] = [];
    for (let i = 0; i < 20_000; i += 1) ids.push(await gen.next());
    for (let i = 1; i < ids.length; i += 1) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // 4096 per ms: the burst spills into the following milliseconds instead of reusing a sequence.
    const perMs = new Map<number, number>();
    for (const id of ids) perMs.set(decomposeId(id).ms, (perMs.get(decomposeId(id).ms) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBe(4096);
    expect(perMs.size).toBe(Math.ceil(20_000 / 4096));
    expect(ids.every((id) => decomposeId(id).workerId === 7)).toBe(true);
  });

  it('hands out unique ids to thousands of concurrent callers in one millisecond', async () => {
    const gen = new SnowflakeGenerator({ workerId: 2, time: new FakeTime(T0) });
    const ids = await Promise.all(Array.from({ length: 10_000 }, () => gen.next()));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('waits out a clock that steps back within the tolerance and never goes backwards', async () => {
    const time = new FakeTime(T0);
    const gen = new SnowflakeGenerator({ workerId: 1, time, backwardsToleranceMs: 2000 });
    const before = await gen.next();
    time.current = T0 - 1500; // NTP steps the clock back 1.5 s
    const after = await gen.next();
    expect(after > before).toBe(true);
    expect(time.sleeps).toContain(1500);
    expect(decomposeId(after).ms).toBeGreaterThanOrEqual(decomposeId(before).ms);
  });

  it('fails loudly when the clock steps back beyond the tolerance', async () => {
    const time = new FakeTime(T0);
    const gen = new SnowflakeGenerator({ workerId: 1, time, backwardsToleranceMs: 2000 });
    await gen.next();
    time.current = T0 - 10_000;
    const error = await gen.next().catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'CLOCK_MOVED_BACKWARDS')).toBe(true);
    expect((error as Error).message).toMatch(/10000 ms behind/);
    time.current = T0 + 1; // once the clock catches up, ids flow again
    expect((await gen.next()) > 0n).toBe(true);
  });

  it('rejects a worker id outside 0..1023', () => {
    expect(() => new SnowflakeGenerator({ workerId: 1024 })).toThrow(/worker_id/);
  });

  it('parses ids only from decimal strings within int64 and names the field otherwise', () => {
    expect(parseId('1234567890123456789', 'before')).toBe(1234567890123456789n);
    for (const bad of ['', '12a', '-1', '1.5', '99999999999999999999', '9223372036854775808', 12]) {
      const error = (() => {
        try {
          parseId(bad, 'before');
        } catch (e) {
          return e;
        }
      })();
      expect(isSwitchboardError(error, 'INVALID_ID')).toBe(true);
      expect((error as { field: string }).field).toBe('before');
    }
  });
});

describe('buckets', () => {
  it('are 10-day windows from the Snowflake epoch, and ids map to and from them', () => {
    expect(bucketOfTime(SNOWFLAKE_EPOCH_MS)).toBe(0);
    expect(bucketOfTime(SNOWFLAKE_EPOCH_MS + BUCKET_MS - 1)).toBe(0);
    expect(bucketOfTime(SNOWFLAKE_EPOCH_MS + BUCKET_MS)).toBe(1);
    const bucket = bucketOfTime(T0);
    const id = composeId(T0 - SNOWFLAKE_EPOCH_MS, 3, 9);
    expect(bucketOfId(id)).toBe(bucket);
    expect(minIdOfBucket(bucket) <= id && id <= maxIdOfBucket(bucket)).toBe(true);
    expect(bucketOfId(minIdOfBucket(bucket))).toBe(bucket);
    expect(bucketOfId(maxIdOfBucket(bucket))).toBe(bucket);
    expect(bucketOfId(maxIdOfBucket(bucket) + 1n)).toBe(bucket + 1);
  });
});
