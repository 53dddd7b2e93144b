/**
 * Sends NetFlow v5 datagrams (30 records each, sequence numbers running) to a UDP port on loopback at a fixed rate for a
 * fixed time, in paced bursts every millisecond tick, and reports how many it sent. Runs in a worker-free child process so
 * the sender does not share an event loop with anything measured.
 *
 * Usage (as a script): node --import tsx bench/udp-blaster.ts PORT DATAGRAMS_PER_SECOND SECONDS
 */
import { createSocket } from "node:dgram";
import { v5Datagram } from "../test/helpers/netflow-v5-fixture.ts";

/** Builds `n` distinct 30-record v5 datagrams; the sequence field is patched per send. */
export function v5Datagrams(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, d) => v5Datagram(d, { unixSecs: Math.floor(Date.now() / 1000) }));
}

/** Sends at `rate` datagrams/s for `seconds` to 127.0.0.1:`port`; resolves to the number sent. */
export async function blast(port: number, rate: number, seconds: number): Promise<number> {
  const socket = createSocket({ type: "udp4", sendBufferSize: 8 * 1024 * 1024 });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const pool = v5Datagrams(256);
  let sent = 0;
  let seq = 0;
  const start = performance.now();
  const total = Math.round(rate * seconds);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (sent < due) {
        const d = pool[sent & 255];
        new DataView(d.buffer, d.byteOffset).setUint32(16, seq >>> 0);
        seq += 30;
        socket.send(d, port, "127.0.0.1");
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise<void>((r) => setTimeout(r, 50));
  socket.close();
  return sent;
}

if (process.argv[1]?.endsWith("udp-blaster.ts")) {
  const [port, rate, seconds] = process.argv.slice(2).map(Number);
  const sent = await blast(port, rate, seconds);
  process.stdout.write(`${sent}\n`);
}
