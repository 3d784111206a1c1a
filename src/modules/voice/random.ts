/** A source of uniform numbers in [0, 1). Injected so simulations can be replayed in tests. */
export type RandomSource = () => number;

/**
 * mulberry32: a tiny, fast 32-bit PRNG with a full 2^32 period; plenty for simulated prices
 * and failure draws, and deterministic for a given seed. Not for anything secret.
 */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seeded source when a seed is configured, else one seeded from Math.random. */
export function randomSource(seed: number | undefined): RandomSource {
  return mulberry32(seed ?? Math.floor(Math.random() * 4_294_967_296));
}
