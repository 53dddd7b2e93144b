/**
 * Seeded pseudo-random numbers for the simulation's jitter and loss: reproducible runs by default, and tests can pass
 * their own source. Not for anything that needs unpredictability.
 */

/** A source of uniformly distributed numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * A small, fast seeded generator (Mulberry32: a 32-bit state advanced by a Weyl increment, output mixed with two
 * multiply-xorshift rounds). Period 2^32; the same `seed` (any integer, taken modulo 2^32) gives the same sequence.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
