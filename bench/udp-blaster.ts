/**
 * Sends NetFlow v5 datagrams (30 records each, sequence numbers running) to a UDP port on loopback at a fixed rate for a
 * fixed time, in paced bursts every millisecond tick, and reports how many it sent. Runs in a worker-free child process so
 * the sender does not share an event loop with anything measured.
 *
 * Usage (as a script): node --import tsx bench/udp-blaster.ts PORT DATAGRAMS_PER_SECOND SECONDS
 */
import { createSocket } from "node:dgram";
import { ipv4FromString as ip } from "../src/wire/ipv4-address.ts";
import { encodeNetflowV5, type NetflowV5Record } from "../src/wire/netflow-v5.ts";

/** Builds `n` distinct 30-record v5 datagrams; the sequence field is patched per send. */
export function v5Datagrams(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = 0; d < n; d++) {
    const records: NetflowV5Record[] = [];
    for (let i = 0; i < 30; i++) {
      records.push({
        srcAddr: ip("10.0.0.0") + ((d * 30 + i) % 16_000_000),
        dstAddr: ip("172.16.0.1") + i,
        nextHop: 0,
        input: 3,
        output: 5,
        dPkts: 1 + i,
        dOctets: 64 * (1 + i),
        first: 10_000,
        last: 20_000,
        srcPort: 1024 + i,
        dstPort: 443,
        pad1: 0,
        tcpFlags: 0x1b,
        prot: 6,
        tos: 0,
        srcAs: 64500,
        dstAs: 64501,
        srcMask: 24,
        dstMask: 16,
        pad2: 0,
      });
    }
    const header = {
      version: 5 as const,
      count: 30,
      sysUptime: 30_000,
      unixSecs: Math.floor(Date.now() / 1000),
      unixNsecs: 0,
      flowSequence: 0,
      engineType: 0,
      engineId: 0,
      samplingMode: 0,
      samplingInterval: 0,
    };
    out.push(encodeNetflowV5({ header, records, padding: 0 }));
  }
  return out;
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
