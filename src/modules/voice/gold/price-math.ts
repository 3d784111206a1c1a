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
 *
 * When the base is quoted at 22k or 18k, the price the agent quotes (pricePerGram) is that
 * purity's price derived from the 24k one and rounded a second time, so the 24k band alone is
 * not enough: e.g. a 22k base of 1000.42 at ±2 % let 24k 1070.32 through, whose 22k price
 * 980.41 is below 1000.42 × 0.98 = 980.4116. The 24k range is therefore narrowed until the
 * derived base-purity price also stays inside base × (1 ± bound).
 */
export function price24kAt(model: PriceModel, ppm: bigint): bigint {
  const fineness = FINENESS[model.basePurity];
  // price24 = basePaise × 1000 × (PPM + ppm) / (fineness × PPM)
  const den = fineness * PPM;
  const scaled = model.basePaise * 1000n;
  const value = divRound(scaled * (PPM + ppm), den);
  let low = ceilDiv(scaled * (PPM - model.boundPpm), den);
  let high = floorDiv(scaled * (PPM + model.boundPpm), den);
  // The base-purity band in paise; derived() is what pricesFrom24k quotes at that purity.
  const baseLow = ceilDiv(model.basePaise * (PPM - model.boundPpm), PPM);
  const baseHigh = floorDiv(model.basePaise * (PPM + model.boundPpm), PPM);
  const derived = (p24: bigint) => divRound(p24 * fineness, 1000n);
  // derived() rises by under one paisa per paisa of 24k, so each loop runs a step or two.
  while (low <= high && derived(low) < baseLow) low += 1n;
  while (high >= low && derived(high) > baseHigh) high -= 1n;
  if (low > high) {
    // A band narrower than a paisa (e.g. 0 %): the 24k price nearest the base whose derived
    // price is still inside the base-purity band (every whole paisa is reachable, ratio < 1).
    let price = divRound(scaled, fineness);
    while (derived(price) < baseLow) price += 1n;
    while (derived(price) > baseHigh) price -= 1n;
    return price;
  }
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
