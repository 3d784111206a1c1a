import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { BranchDirectory } from '../../../src/modules/voice/appointments/branches.js';
import { checkBranches } from '../../../src/modules/voice/config.js';
import {
  divRound,
  drawPpm,
  formatPaise,
  price24kAt,
  priceModel,
  pricesFrom24k,
} from '../../../src/modules/voice/gold/price-math.js';
import { normalisePhone } from '../../../src/modules/voice/phone.js';
import { mulberry32 } from '../../../src/modules/voice/random.js';
import { countSegments } from '../../../src/modules/voice/sms/segments.js';
import { zonedToInstant } from '../../../src/modules/voice/zoned-time.js';
import { timeUuid, timeUuidDate } from '../../../src/shared/timeuuid.js';
import { isTimeUuid } from '../../../src/ports/wide-column/values.js';
import { BRANCHES } from './helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return isSwitchboardError(error) ? `${error.code}:${error.field}` : String(error);
  }
}

describe('phone normalisation', () => {
  it('stores every common Indian form as the same E.164 number', () => {
    for (const input of ['+91 98765 43210', '098765 43210', '9876543210', '+91-98765-43210']) {
      expect(normalisePhone(input, 'IN', 'phone')).toBe('+919876543210');
    }
    expect(normalisePhone('+1 415 555 2671', 'IN', 'phone')).toBe('+14155552671');
  });

  it('refuses invalid numbers with INVALID_PHONE naming the field', () => {
    expect(codeOf(() => normalisePhone('12345', 'IN', 'customerPhone'))).toBe('INVALID_PHONE:customerPhone');
    expect(codeOf(() => normalisePhone('not a phone', 'IN', 'phone'))).toBe('INVALID_PHONE:phone');
    expect(codeOf(() => normalisePhone('', 'IN', 'phone'))).toBe('INVALID_PHONE:phone');
  });

  it('refuses a number buried in other text or carrying an extension rather than extracting it', () => {
    // libphonenumber alone finds +919876543210 in each of these and drops the rest.
    for (const input of [
      'call me at 9876543210 tomorrow',
      '9876543210abc',
      '+91 98765 43210 ext. 5',
      'tel:+919876543210',
      '98765-43210!!',
    ]) {
      expect(
        codeOf(() => normalisePhone(input, 'IN', 'phone')),
        input,
      ).toBe('INVALID_PHONE:phone');
    }
    // Separators people type are still fine.
    expect(normalisePhone('(0)98765 43210', 'IN', 'phone')).toBe('+919876543210');
    expect(normalisePhone('0091 98765 43210', 'IN', 'phone')).toBe('+919876543210');
    expect(normalisePhone(' +91 98765.43210', 'IN', 'phone')).toBe('+919876543210');
  });
});

describe('SMS segments', () => {
  it('counts GSM-7 as 160 in one segment and 153 per concatenated segment', () => {
    expect(countSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSegments('a'.repeat(161)).segments).toBe(2);
    expect(countSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSegments('a'.repeat(307)).segments).toBe(3);
  });

  it('counts extension characters as two septets and never splits them', () => {
    expect(countSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSegments(`${'a'.repeat(159)}€`).segments).toBe(2);
    // 152 plain + an escape pair cannot fit 153: the pair moves to the next segment.
    expect(countSegments(`${'a'.repeat(152)}{${'a'.repeat(10)}`).segments).toBe(2);
    expect(countSegments(`${'a'.repeat(152)}{${'a'.repeat(152)}`).segments).toBe(3);
  });

  it('switches to UCS-2 (70 / 67) for any character outside GSM-7', () => {
    expect(countSegments('नमस्ते')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(countSegments('₹'.repeat(70)).segments).toBe(1);
    expect(countSegments('₹'.repeat(71)).segments).toBe(2);
    expect(countSegments('₹'.repeat(134)).segments).toBe(2);
    expect(countSegments('₹'.repeat(135)).segments).toBe(3);
    // Emoji are surrogate pairs (2 units) and are not split: 33 fit in 67 units, not 33.5.
    expect(countSegments('😀'.repeat(35))).toMatchObject({ units: 70, segments: 1 });
    expect(countSegments('😀'.repeat(36)).segments).toBe(2);
    expect(countSegments('😀'.repeat(67)).segments).toBe(3);
  });
});

describe('gold price arithmetic', () => {
  it('rounds half up on exact integers', () => {
    expect(divRound(5n, 2n)).toBe(3n);
    expect(divRound(4n, 3n)).toBe(1n);
    expect(divRound(-5n, 2n)).toBe(-3n);
    expect(formatPaise(750000n)).toBe('7500.00');
    expect(formatPaise(5n)).toBe('0.05');
  });

  it('derives 24k from a 22k base and 22k/18k from 24k exactly', () => {
    const model = priceModel(7500, '22k', 2);
    const p24 = price24kAt(model, 0n);
    expect(formatPaise(p24)).toBe('8187.77'); // 7500 / 0.916 = 8187.772925...
    const set = pricesFrom24k(p24);
    expect(formatPaise(set.price22k)).toBe('7500.00'); // 8187.77 × 0.916 = 7499.997...
    expect(formatPaise(set.price18k)).toBe('6140.83'); // 8187.77 × 0.75 = 6140.8275
    expect(formatPaise(price24kAt(priceModel(7500, '24k', 2), 0n))).toBe('7500.00');
  });

  it('keeps every draw inside base × (1 ± p), rounding included', () => {
    const model = priceModel(7500, '22k', 2);
    const rng = mulberry32(42);
    // The exact band in paise, as rationals: 750000 × 1000 × (1 ± 0.02) / 916.
    const low = (750000 * 1000 * 0.98) / 916;
    const high = (750000 * 1000 * 1.02) / 916;
    for (let i = 0; i < 10_000; i += 1) {
      const p = Number(price24kAt(model, drawPpm(model.boundPpm, rng())));
      expect(p).toBeGreaterThanOrEqual(Math.ceil(low));
      expect(p).toBeLessThanOrEqual(Math.floor(high));
    }
    expect(drawPpm(20_000n, 0)).toBe(-20_000n);
    expect(drawPpm(20_000n, 0.9999999999)).toBe(20_000n);
  });

  it('keeps the price at a 22k or 18k base purity inside base × (1 ± p) too, after its own rounding', () => {
    // 22k/18k are derived from 24k and rounded again; at these bases the 24k clamp alone let
    // the quoted price fall a fraction of a paisa outside the band (1000.42 → 980.41 < 980.4116).
    const cases: Array<[number, '22k' | '18k', number]> = [
      [1000.21, '22k', 3],
      [1000.28, '22k', 3],
      [1000.42, '22k', 2],
      [1000.49, '22k', 1.5],
      [7500, '22k', 2],
      [7500.37, '18k', 2],
      [1234.56, '22k', 0],
    ];
    for (const [base, purity, pct] of cases) {
      const model = priceModel(base, purity, pct);
      const basePaise = BigInt(Math.round(base * 100));
      const b = model.boundPpm;
      for (const ppm of [-b, -b + 1n, 0n, b - 1n, b]) {
        const set = pricesFrom24k(price24kAt(model, ppm));
        const quoted = purity === '22k' ? set.price22k : set.price18k;
        // quoted within basePaise × (1 ± b / 1e6), compared exactly in integers.
        expect(quoted * 1_000_000n >= basePaise * (1_000_000n - b), `${base} ${purity} ${pct} ${ppm}`).toBe(
          true,
        );
        expect(quoted * 1_000_000n <= basePaise * (1_000_000n + b), `${base} ${purity} ${pct} ${ppm}`).toBe(
          true,
        );
      }
    }
  });

  it('mulberry32 replays the same sequence for the same seed', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(8)()).not.toBe(xs[0]);
  });
});

describe('timeuuid', () => {
  it('makes strictly increasing version-1 ids that carry their time', () => {
    const at = new Date('2025-01-15T10:00:00.123Z');
    const ids = Array.from({ length: 1000 }, () => timeUuid(at));
    expect(new Set(ids).size).toBe(1000);
    expect(ids.every(isTimeUuid)).toBe(true);
    expect(timeUuidDate(ids[0]!).toISOString()).toBe('2025-01-15T10:00:00.123Z');
    const later = timeUuid(new Date('2025-01-15T10:00:01Z'));
    expect(timeUuidDate(later).getTime()).toBe(Date.parse('2025-01-15T10:00:01Z'));
  });
});

describe('branch directory', () => {
  const directory = new BranchDirectory(BRANCHES);
  const branch = directory.get('blr-indiranagar');
  const now = new Date('2030-01-15T00:00:00Z');

  it('lists the slots of a day and applies the default time zone', () => {
    expect(directory.slots(branch)).toHaveLength(18);
    expect(directory.slots(branch)[17]).toBe('17:30');
    expect(directory.get('mum-andheri').timezone).toBe('Asia/Kolkata');
  });

  it('accepts aligned slots within hours, in the branch time zone', () => {
    const start = directory.checkSlot(branch, '2030-01-16', '09:30', now);
    expect(start.toISOString()).toBe('2030-01-16T04:00:00.000Z'); // IST is UTC+5:30
  });

  it('refuses unknown branches, misaligned or out-of-hours slots and past slots', () => {
    expect(codeOf(() => directory.get('nowhere'))).toBe('UNKNOWN_BRANCH:branchId');
    expect(codeOf(() => directory.checkSlot(branch, '2030-01-16', '09:15', now))).toBe(
      'SLOT_OUTSIDE_HOURS:time',
    );
    expect(codeOf(() => directory.checkSlot(branch, '2030-01-16', '08:30', now))).toBe(
      'SLOT_OUTSIDE_HOURS:time',
    );
    expect(codeOf(() => directory.checkSlot(branch, '2030-01-16', '18:00', now))).toBe(
      'SLOT_OUTSIDE_HOURS:time',
    );
    // 05:00 IST on the 15th has passed at 00:00 UTC (05:30 IST); 09:00 has not.
    expect(codeOf(() => directory.checkSlot(branch, '2030-01-14', '10:00', now))).toBe('SLOT_IN_PAST:date');
    expect(directory.checkSlot(branch, '2030-01-15', '09:00', now).toISOString()).toBe(
      '2030-01-15T03:30:00.000Z',
    );
    expect(codeOf(() => directory.checkSlot(branch, '2030-02-30', '10:00', now))).toBe(
      'VALIDATION_FAILED:date',
    );
    expect(codeOf(() => directory.checkSlot(branch, '2030-01-16', '9:30', now))).toBe(
      'VALIDATION_FAILED:time',
    );
  });

  it('converts wall time across a DST change', () => {
    expect(zonedToInstant('2030-07-01', '09:00', 'Europe/London').toISOString()).toBe(
      '2030-07-01T08:00:00.000Z',
    );
    expect(zonedToInstant('2030-01-01', '09:00', 'Europe/London').toISOString()).toBe(
      '2030-01-01T09:00:00.000Z',
    );
  });

  it('validates the configured directory', () => {
    expect(checkBranches(BRANCHES)).toBeUndefined();
    expect(checkBranches([{ ...BRANCHES[0], closes: '08:00' }])).toMatch(/closes must be after opens/);
    expect(checkBranches([BRANCHES[0], BRANCHES[0]])).toMatch(/repeated/);
    expect(checkBranches([{ ...BRANCHES[0], timezone: 'Mars/Olympus' }])).toMatch(/timezone/);
  });
});

describe('voice configuration', () => {
  it('loads the example config and rejects a malformed branch directory naming the key', () => {
    const config = loadConfig({ path: 'switchboard.example.toml', env: {} });
    expect(config.voice.gold_price).toMatchObject({
      base_price: 7500,
      base_purity: '22k',
      fluctuation_percent: 2,
    });
    expect(config.voice.default_region).toBe('IN');
    expect(config.voice.branches.map((b) => b.id)).toEqual(['blr-indiranagar', 'mum-andheri']);
    expect(() =>
      loadConfig({ path: undefined, env: { SWITCHBOARD_VOICE_BRANCHES: JSON.stringify([{ id: 'x' }]) } }),
    ).toThrow(/voice\.branches/);
    expect(() =>
      loadConfig({ path: undefined, env: { SWITCHBOARD_VOICE_GOLD_PRICE_BASE_PURITY: '20k' } }),
    ).toThrow(/voice\.gold_price\.base_purity/);
  });
});
