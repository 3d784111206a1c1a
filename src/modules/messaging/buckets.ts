import { composeId, MAX_TIMESTAMP_MS, SNOWFLAKE_EPOCH_MS } from './ids.js';

/**
 * Messages are partitioned by (channel, bucket): a bucket is a 10-day window counted from
 * the Snowflake epoch, as Discord does, so no partition grows without bound and a
 * channel's recent history sits in one or two partitions.
 */
export const BUCKET_MS = 10 * 24 * 60 * 60 * 1000;

/** The bucket of a Snowflake id. */
export function bucketOfId(id: bigint): number {
  return Math.floor(Number(id >> 22n) / BUCKET_MS);
}

/** The bucket that holds ids generated at `time`. */
export function bucketOfTime(time: Date | number): number {
  const ms = (typeof time === 'number' ? time : time.getTime()) - SNOWFLAKE_EPOCH_MS;
  return Math.floor(Math.max(ms, 0) / BUCKET_MS);
}

/** The smallest id that can fall in `bucket`. */
export function minIdOfBucket(bucket: number): bigint {
  return composeId(Math.min(bucket * BUCKET_MS, MAX_TIMESTAMP_MS), 0, 0);
}

/** The largest id that can fall in `bucket`. */
export function maxIdOfBucket(bucket: number): bigint {
  return minIdOfBucket(bucket + 1) - 1n;
}
