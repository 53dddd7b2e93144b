/**
 * Waits for a peer program to read what was sent to it: the receive queue of the IPv4 UDP socket bound to `port`, as
 * `/proc/net/udp` shows it, is empty. Used before stopping nfcapd and the like, instead of a fixed sleep.
 */
import { readFileSync } from "node:fs";
import { waitFor } from "./processes.ts";

/** Bytes queued on the IPv4 UDP sockets bound to `port` (0 when none is bound). */
export function udpReceiveQueue(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let queued = 0;
  for (const line of readFileSync("/proc/net/udp", "utf8").split("\n").slice(1)) {
    // "  sl  local_address rem_address   st tx_queue:rx_queue ..."
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hexPort}`)) queued += Number.parseInt(f[4]?.split(":")[1] ?? "0", 16);
  }
  return queued;
}

/**
 * Resolves once the socket on `port` has had an empty receive queue for `settleMs` (the reader is done with what it
 * read); rejects after `timeoutMs`. Time in milliseconds.
 */
export async function untilUdpDrained(port: number, settleMs = 200, timeoutMs = 20_000): Promise<void> {
  let emptySince = Number.POSITIVE_INFINITY;
  await waitFor(
    `the reader on UDP port ${port} to drain its queue`,
    () => {
      if (udpReceiveQueue(port) > 0) emptySince = Number.POSITIVE_INFINITY;
      else emptySince = Math.min(emptySince, Date.now());
      return Date.now() - emptySince >= settleMs;
    },
    timeoutMs,
    20,
  );
}
