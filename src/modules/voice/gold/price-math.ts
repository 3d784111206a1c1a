/**
 * Gold price arithmetic in exact integers. Prices are held as bigint paise (1/100 INR) and
 * purity ratios as parts per thousand (24k = 1000, 22k = 916, 18k = 750), so every value
 * is a rational computed exactly and rounded once, half up, to whole paise. The only float
 * is the random draw, which is first turned into an integer number of parts per million.
 */

export type Purity = '24k' | '22k' | '18k';

/** Fineness in parts per thousand: 22k is 91.6 % gold, 18k is 75 %. */
export const FINENESS: Record<Purity, bigint> = { '24k': 1000n, '22k': 916n, '18k': 750n };

const PPM = 1_000_000n;

/** Rounds num / den to the nearest integer, halves away from zero (den > 0). */
export function divRound(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r = num % den;
  if (r * 2n >= den) return q + 1n;
  if (r * -2n >= den) return q - 1n;
  return q;
}

function floorDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num < 0n ? q - 1n : q;
}

function ceilDiv(num: bigint, den: bigint): bigint {
  return -floorDiv(-num, den);
}

/** "7500.00" from 750000n. */
export function formatPaise(paise: bigint): string {
  const sign = paise < 0n ? '-' : '';
  const abs = paise < 0n ? -paise : paise;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** Paise from a configured INR amount (a float from TOML), rounded to whole paise. */
export function rupeesToPaise(rupees: number): bigint {
  return BigInt(Math.round(rupees * 100));
}

export interface PriceSet {
  price24k: bigint;
  price22k: bigint;
  price18k: bigint;
}

export interface PriceModel {
  /** Configured base, in paise, at `basePurity`. */
  basePaise: bigint;
  basePurity: Purity;
  /** Fluctuation bound in parts per million of the base (2 % = 20 000). */
  boundPpm: bigint;
}

export function priceModel(basePrice: number, basePurity: Purity, fluctuationPercent: number): PriceModel {
  return {
    basePaise: rupeesToPaise(basePrice),
    basePurity,
    boundPpm: BigInt(Math.round(fluctuationPercent * 10_000)),
  };
}

/**
 * The 24k price for a fluctuation of `ppm` parts per million (|ppm| ≤ boundPpm), rounded to
 * paise but clamped so that rounding never leaves the band base24 × (1 ± bound).
 * base24 = base × 1000 / fineness(basePurity), kept as a fraction until the end.
 */
export function price24kAt(model: PriceModel, ppm: bigint): bigint {
  const fineness = FINENESS[model.basePurity];
  // price24 = basePaise × 1000 × (PPM + ppm) / (fineness × PPM)
  const den = fineness * PPM;
  const value = divRound(model.basePaise * 1000n * (PPM + ppm), den);
  const low = ceilDiv(model.basePaise * 1000n * (PPM - model.boundPpm), den);
  const high = floorDiv(model.basePaise * 1000n * (PPM + model.boundPpm), den);
  if (low > high) return divRound(model.basePaise * 1000n, fineness);
  return value < low ? low : value > high ? high : value;
}

/** 22k and 18k from the 24k price: 24k × 916/1000 and × 750/1000, each rounded once. */
export function pricesFrom24k(price24k: bigint): PriceSet {
  return {
    price24k,
    price22k: divRound(price24k * FINENESS['22k'], 1000n),
    price18k: divRound(price24k * FINENESS['18k'], 1000n),
  };
}

/** Maps a uniform draw r in [0, 1) to an integer in [-bound, +bound] parts per million. */
export function drawPpm(boundPpm: bigint, r: number): bigint {
  const span = Number(boundPpm) * 2 + 1;
  return BigInt(Math.min(span - 1, Math.floor(r * span))) - boundPpm;
}
