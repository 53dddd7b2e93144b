/** Packet capture times as the exporter counts them: whole epoch milliseconds. */

/**
 * Capture time in whole epoch milliseconds (floor), exact: `Number(bigint)` is off by up to 128 ns at today's epoch,
 * which would put a packet stamped exactly on a millisecond into the one before; such packets take the exact (and
 * slower, allocating) bigint path.
 */
export function captureTimeMs(timestampNs: bigint): number {
  const approx = Number(timestampNs);
  const ms = Math.floor(approx / 1e6);
  const frac = approx - ms * 1e6;
  return frac > 1000 && frac < 999_000 ? ms : Number(timestampNs / 1_000_000n);
}
