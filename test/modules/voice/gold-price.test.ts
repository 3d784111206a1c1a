import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { mulberry32 } from '../../../src/modules/voice/random.js';
import { voiceContext, type VoiceTestContext } from './helpers.js';

let open: VoiceTestContext[] = [];
afterEach(async () => {
  for (const t of open) await t.ctx.cleanup();
  open = [];
});

async function setup(clock: ManualClock, env: NodeJS.ProcessEnv = {}, dataDir?: string) {
  const t = await voiceContext({
    env,
    clock,
    ...(dataDir ? { dataDir } : {}),
    services: { priceRandom: mulberry32(1) },
  });
  open.push(t);
  return t;
}

describe('voice gold price', () => {
  it('stays within ±fluctuation_percent of the base over 10 000 draws, with exact derived purities', async () => {
    const { voice } = await setup(new ManualClock());
    // 7500 at 22k → 24k base 8187.772925...; ±2 % → [8024.02, 8351.52] in whole paise.
    const low = 802_402n;
    const high = 835_152n;
    expect(voice.goldPrice.band()).toEqual({ base24k: '8187.77', low24k: '8024.02', high24k: '8351.52' });
    let min = high;
    let max = low;
    const problems: string[] = [];
    const exact = /^\d+\.\d{2}$/;
    for (let i = 0; i < 10_000; i += 1) {
      const p = voice.goldPrice.draw();
      const p24 = BigInt(p.price24k.replace('.', ''));
      if (![p.price24k, p.price22k, p.price18k].every((s) => exact.test(s)))
        problems.push(`format ${p.price24k}`);
      if (p24 < low || p24 > high) problems.push(`out of band ${p.price24k}`);
      // 22k = 24k × 0.916 and 18k = 24k × 0.75, each rounded half up once.
      if (BigInt(p.price22k.replace('.', '')) !== (p24 * 916n + 500n) / 1000n)
        problems.push(`22k ${p.price22k}`);
      if (BigInt(p.price18k.replace('.', '')) !== (p24 * 750n + 500n) / 1000n)
        problems.push(`18k ${p.price18k}`);
      if (p.pricePerGram !== p.price22k) problems.push('pricePerGram is not the 22k price');
      if (p24 < min) min = p24;
      if (p24 > max) max = p24;
    }
    expect(problems).toEqual([]);
    // It really fluctuates across most of the band rather than sitting still or drifting off.
    expect(max - min).toBeGreaterThan(30_000n);
  });

  it('treats the base as 24k when base_purity says so', async () => {
    const { voice } = await setup(new ManualClock(), {
      SWITCHBOARD_VOICE_GOLD_PRICE_BASE_PURITY: '24k',
      SWITCHBOARD_VOICE_GOLD_PRICE_FLUCTUATION_PERCENT: '0',
    });
    const p = voice.goldPrice.draw();
    expect(p).toMatchObject({
      price24k: '7500.00',
      price22k: '6870.00',
      price18k: '5625.00',
      pricePerGram: '7500.00',
    });
  });

  it('serves the cached price for cache_ttl_seconds, then draws and records a new one', async () => {
    const clock = new ManualClock(new Date('2030-03-10T04:10:00Z')); // 09:40 IST
    const { voice } = await setup(clock, { SWITCHBOARD_VOICE_GOLD_PRICE_CACHE_TTL_SECONDS: '300' });
    const first = await voice.goldPrice.current();
    clock.advance(299_000);
    expect(await voice.goldPrice.current()).toEqual(first);
    clock.advance(2_000);
    const second = await voice.goldPrice.current();
    expect(second.updatedAt.getTime()).toBe(clock.now().getTime());
    expect(second.price24k).not.toBe(first.price24k);
    // Both fall in the 09:00 IST bucket of 2030-03-10: the hour keeps its latest price.
    const day = await voice.goldPrice.day('2030-03-10');
    expect(day).toHaveLength(1);
    expect(day[0]).toMatchObject({ hour: 9, price24k: second.price24k });
  });

  it('persists the latest price: a restarted service reuses it while fresh', async () => {
    const clock = new ManualClock(new Date('2030-03-10T04:10:00Z'));
    const t = await setup(clock);
    const first = await t.voice.goldPrice.current();
    // A second service on the same store has an empty memory cache but reads gold_price_latest.
    const { createVoiceServices } = await import('../../../src/modules/voice/services.js');
    const other = createVoiceServices(t.ctx, { clock, priceRandom: mulberry32(99) });
    clock.advance(60_000);
    expect(await other.goldPrice.current()).toEqual(first);
    clock.advance(300_000);
    expect((await other.goldPrice.current()).price24k).not.toBe(first.price24k);
  });

  it('shares one refresh between concurrent callers', async () => {
    const { voice } = await setup(new ManualClock(new Date('2030-03-10T04:10:00Z')));
    const prices = await Promise.all(Array.from({ length: 20 }, () => voice.goldPrice.current()));
    expect(new Set(prices.map((p) => p.price24k)).size).toBe(1);
  });

  it('keeps hourly history, by day and by date range newest first', async () => {
    const clock = new ManualClock(new Date('2030-03-09T18:00:00Z')); // 23:30 IST on the 9th
    const { voice } = await setup(clock, { SWITCHBOARD_VOICE_GOLD_PRICE_CACHE_TTL_SECONDS: '0' });
    for (let i = 0; i < 4; i += 1) {
      await voice.goldPrice.current();
      clock.advance(3_600_000);
    }
    // 23:30 on the 9th, then 00:30, 01:30, 02:30 on the 10th (IST).
    const range = await voice.goldPrice.history('2030-03-09', '2030-03-10');
    expect(range.map((e) => `${e.date} ${e.hour}`)).toEqual([
      '2030-03-10 2',
      '2030-03-10 1',
      '2030-03-10 0',
      '2030-03-09 23',
    ]);
    expect((await voice.goldPrice.day('2030-03-09')).map((e) => e.hour)).toEqual([23]);
    await expect(voice.goldPrice.history('2030-03-10', '2030-03-09')).rejects.toMatchObject({
      field: 'from',
    });
    await expect(voice.goldPrice.history('2030-01-01', '2030-03-09')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(voice.goldPrice.day('2030-13-01')).rejects.toMatchObject({ field: 'date' });
  });
});
