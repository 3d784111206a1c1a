/**
 * A mergeable latency histogram with fixed log-linear buckets (the HDR histogram layout with
 * 7 significant bits). Values are recorded in whole microseconds; below 256 µs every
 * microsecond has its own bucket, above that each power of two is split into 128 equal
 * buckets, so a bucket is never wider than 1/128 of its lower bound.
 *
 * Because the bucket boundaries are fixed, histograms merge by adding counts: minutes roll up
 * to hours (and sources to totals) exactly, with the same result in any order. Percentiles
 * report the midpoint of the bucket holding the nearest-rank value, clamped to the exact
 * min and max, so:
 *
 *   |reported - exact| <= exact / 256 + 0.001 ms        (RELATIVE_ERROR, ABSOLUTE_ERROR_MS)
 *
 * and count, min, max and sum are exact.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128 buckets per power of two
const LINEAR_LIMIT = 2 * SUB; // 256 µs: below this, one bucket per microsecond

export const RELATIVE_ERROR = 1 / (2 * SUB);
export const ABSOLUTE_ERROR_MS = 0.001;

export function bucketOf(us: number): number {
  if (us < LINEAR_LIMIT) return us;
  const e = 31 - Math.clz32(us) - SUB_BITS; // us >> e lies in [128, 255]
  return LINEAR_LIMIT + (e - 1) * SUB + ((us >>> e) - SUB);
}

/** The [lower, upper) range of a bucket in microseconds. */
export function bucketRange(index: number): [number, number] {
  if (index < LINEAR_LIMIT) return [index, index + 1];
  const e = Math.floor((index - LINEAR_LIMIT) / SUB) + 1;
  const mantissa = ((index - LINEAR_LIMIT) % SUB) + SUB;
  return [mantissa * 2 ** e, (mantissa + 1) * 2 ** e];
}

export class LatencyHistogram {
  /** Bucket index → count. Sparse: a stage's latencies usually span a few hundred buckets. */
  readonly buckets = new Map<number, number>();
  count = 0;
  /** Exact extremes in ms (NaN while empty) and the exact sum in whole microseconds. */
  minMs = Number.NaN;
  maxMs = Number.NaN;
  sumUs = 0;
  /**
   * Bucket indices in ascending order, kept until the next change. A snapshot row takes three
   * percentiles and the encoding of the same histogram, and sorting its few hundred indices
   * once instead of four times is most of the cost of building the row.
   */
  private sorted: number[] | undefined;

  record(latencyMs: number): void {
    const us = Math.round(latencyMs * 1000);
    const b = bucketOf(us);
    const n = this.buckets.get(b);
    if (n === undefined) this.sorted = undefined;
    this.buckets.set(b, (n ?? 0) + 1);
    this.count += 1;
    this.sumUs += us;
    if (!(latencyMs >= this.minMs)) this.minMs = latencyMs;
    if (!(latencyMs <= this.maxMs)) this.maxMs = latencyMs;
  }

  merge(other: LatencyHistogram): this {
    this.sorted = undefined;
    for (const [b, n] of other.buckets) this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    this.count += other.count;
    this.sumUs += other.sumUs;
    if (other.count > 0) {
      if (!(other.minMs >= this.minMs)) this.minMs = other.minMs;
      if (!(other.maxMs <= this.maxMs)) this.maxMs = other.maxMs;
    }
    return this;
  }

  /** The nearest-rank percentile (p in (0, 100]) in ms; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    if (p >= 100) return this.maxMs;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    const indices = this.sortedIndices();
    let seen = 0;
    for (const index of indices) {
      seen += this.buckets.get(index)!;
      if (seen >= rank) {
        const [lower, upper] = bucketRange(index);
        const mid = index < LINEAR_LIMIT ? lower : (lower + upper) / 2;
        return Math.min(this.maxMs, Math.max(this.minMs, mid / 1000));
      }
    }
    return this.maxMs;
  }

  private sortedIndices(): number[] {
    this.sorted ??= [...this.buckets.keys()].sort((a, b) => a - b);
    return this.sorted;
  }

  meanMs(): number {
    return this.count === 0 ? Number.NaN : this.sumUs / this.count / 1000;
  }

  /** Bucket counts as varints: (index delta, count) pairs in index order. Extremes travel in their own columns. */
  encode(): Buffer {
    const indices = this.sortedIndices();
    const out: number[] = [];
    let previous = 0;
    for (const index of indices) {
      writeVarint(out, index - previous);
      writeVarint(out, this.buckets.get(index)!);
      previous = index;
    }
    return Buffer.from(out);
  }

  static decode(
    bytes: Uint8Array,
    stats: { count: number; minMs: number; maxMs: number; sumUs: number },
  ): LatencyHistogram {
    const h = new LatencyHistogram();
    const cursor = { at: 0 };
    let index = 0;
    while (cursor.at < bytes.length) {
      index += readVarint(bytes, cursor);
      h.buckets.set(index, readVarint(bytes, cursor));
    }
    h.count = stats.count;
    h.minMs = stats.count > 0 ? stats.minMs : Number.NaN;
    h.maxMs = stats.count > 0 ? stats.maxMs : Number.NaN;
    h.sumUs = stats.sumUs;
    return h;
  }
}

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push(v % 0x80 | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function readVarint(bytes: Uint8Array, cursor: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[cursor.at];
    if (byte === undefined) throw new Error('truncated histogram');
    cursor.at += 1;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
}
