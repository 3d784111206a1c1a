import { describe, expect, it } from 'vitest';
import {
  ABSOLUTE_ERROR_MS,
  LatencyHistogram,
  RELATIVE_ERROR,
  bucketOf,
  bucketRange,
} from '../../../src/modules/interactions/histogram.js';

/** Deterministic log-normal latencies (median `median` ms). */
function logNormal(n: number, median: number, sigma: number, seed = 1): number[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
    return Math.round(median * Math.exp(sigma * z) * 1000) / 1000;
  });
}

function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('latency histogram', () => {
  it('has contiguous buckets no wider than 1/128 of their lower bound', () => {
    let previousUpper = 0;
    for (let index = 0; index < 3000; index += 1) {
      const [lower, upper] = bucketRange(index);
      expect(lower).toBe(previousUpper);
      expect(bucketOf(lower)).toBe(index);
      expect(bucketOf(upper - 1)).toBe(index);
      if (lower >= 256) expect((upper - lower) / lower).toBeLessThanOrEqual(1 / 128);
      previousUpper = upper;
    }
  });

  it('reports percentiles within the stated bound of the exact values, and max exactly', () => {
    for (const [median, sigma] of [
      [300, 0.35],
      [850, 0.6],
      [0.4, 1.5],
    ] as const) {
      const values = logNormal(20_000, median, sigma);
      const h = new LatencyHistogram();
      for (const v of values) h.record(v);
      for (const p of [50, 90, 95, 99, 99.9]) {
        const exact = exactPercentile(values, p);
        expect(Math.abs(h.percentile(p) - exact)).toBeLessThanOrEqual(
          exact * RELATIVE_ERROR + ABSOLUTE_ERROR_MS,
        );
      }
      expect(h.maxMs).toBe(Math.max(...values));
      expect(h.minMs).toBe(Math.min(...values));
      expect(h.count).toBe(values.length);
    }
  });

  it('merges exactly: minutes merged into an hour equal the hour recorded at once', () => {
    const values = logNormal(6000, 500, 0.5, 7);
    const hour = new LatencyHistogram();
    const minutes = Array.from({ length: 60 }, () => new LatencyHistogram());
    values.forEach((v, i) => {
      hour.record(v);
      minutes[i % 60]!.record(v);
    });
    const merged = minutes.reduce((acc, m) => acc.merge(m), new LatencyHistogram());
    expect([...merged.buckets].sort()).toEqual([...hour.buckets].sort());
    expect({ c: merged.count, s: merged.sumUs, mx: merged.maxMs, mn: merged.minMs }).toEqual({
      c: hour.count,
      s: hour.sumUs,
      mx: hour.maxMs,
      mn: hour.minMs,
    });
  });

  it('round-trips through its encoding', () => {
    const h = new LatencyHistogram();
    for (const v of logNormal(5000, 200, 1)) h.record(v);
    const back = LatencyHistogram.decode(h.encode(), h);
    expect([...back.buckets]).toEqual([...h.buckets].sort((a, b) => a[0] - b[0]));
    expect(back.percentile(99)).toBe(h.percentile(99));
  });
});
