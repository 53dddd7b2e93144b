/**
 * NetFlow v5 datagrams for tests and benchmarks: `count` TCP records (default 30) with distinct source addresses
 * (10.0.0.0 + index · count + i), so records of different datagrams never collide, and a running flow sequence.
 */
import { ipv4FromString as ip } from "../../src/wire/ipv4-address.ts";
import { encodeNetflowV5, type NetflowV5Record } from "../../src/wire/netflow-v5.ts";

/** Options of {@link v5Datagram}. */
export interface V5DatagramOptions {
  /** Records in the datagram (1-30, default 30). */
  count?: number;
  /** Export time, UNIX seconds (default 1_795_000_000). */
  unixSecs?: number;
}

/** The `index`-th datagram of a run: records `index·count` to `index·count + count - 1`. */
export function v5Datagram(index: number, options: V5DatagramOptions = {}): Uint8Array {
  const count = options.count ?? 30;
  const records: NetflowV5Record[] = [];
  for (let i = 0; i < count; i++) {
    records.push({
      srcAddr: (ip("10.0.0.0") + ((index * count + i) % 16_000_000)) >>> 0,
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
    count,
    sysUptime: 30_000,
    unixSecs: options.unixSecs ?? 1_795_000_000,
    unixNsecs: 0,
    flowSequence: (index * count) >>> 0,
    engineType: 0,
    engineId: 0,
    samplingMode: 0,
    samplingInterval: 0,
  };
  return encodeNetflowV5({ header, records, padding: 0 });
}
