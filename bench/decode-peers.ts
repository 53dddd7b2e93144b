/**
 * `flowlens decode` against tshark, the decoder operators already point at captures, on the same pcap of NetFlow v5
 * datagrams (30 records each) in one run: wall time of the whole command, records per second, and the ratio. tshark prints
 * one field per record (`-T fields -e cflow.srcaddr`), the least work it can be asked for; flowlens prints full text and
 * full JSON lines. Output goes to /dev/null.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ipv4FromString as ip } from "../src/wire/ipv4-address.ts";
import { encodePcap, type PcapPacket } from "../src/wire/pcap-writer.ts";
import { encodeEthernetIpv4UdpFrame } from "../src/wire/udp-packet.ts";
import { v5Datagram } from "../test/helpers/netflow-v5-fixture.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DATAGRAMS = 20000;
const RECORDS = DATAGRAMS * 30;

export function capture(): Uint8Array {
  const packets: PcapPacket[] = [];
  for (let d = 0; d < DATAGRAMS; d++) {
    const payload = v5Datagram(d);
    const data = encodeEthernetIpv4UdpFrame({
      srcAddr: ip("127.0.0.2"),
      dstAddr: ip("127.0.0.1"),
      srcPort: 5000,
      dstPort: 2055,
      payload,
    });
    packets.push({ timestampNs: BigInt(1_795_000_000 + d) * 1_000_000_000n, data });
  }
  return encodePcap(packets);
}

function timeCommand(cmd: string, args: string[]): number | null {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    console.log(`  ${cmd} failed (${r.status}): ${String(r.stderr).trim().split("\n")[0]}`);
    return null;
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Runs the comparison and prints one line per command and the ratios. */
export function runDecodePeers(): void {
  const dir = mkdtempSync(join(tmpdir(), "flowlens-bench-"));
  try {
    const file = join(dir, "v5.pcap");
    writeFileSync(file, capture());
    console.log(`\nflowlens decode vs tshark: ${DATAGRAMS} v5 datagrams, ${RECORDS} records, best of 3 runs`);
    const runs: [string, string, string[]][] = [
      ["flowlens decode (text)", process.execPath, [join(ROOT, "bin/flowlens.js"), "decode", file]],
      ["flowlens decode --json", process.execPath, [join(ROOT, "bin/flowlens.js"), "decode", "--json", file]],
      [
        "tshark -T fields -e cflow.srcaddr",
        "tshark",
        ["-r", file, "-d", "udp.port==2055,cflow", "-T", "fields", "-e", "cflow.srcaddr"],
      ],
    ];
    const best = new Map<string, number>();
    for (const [name, cmd, args] of runs) {
      const times = [0, 1, 2].map(() => timeCommand(cmd, args)).filter((t): t is number => t !== null);
      if (times.length === 0) continue;
      const t = Math.min(...times);
      best.set(name, t);
      console.log(
        `  ${name.padEnd(36)} ${t.toFixed(2).padStart(6)} s  ${(RECORDS / t / 1e3).toFixed(0).padStart(6)} k records/s`,
      );
    }
    const tshark = best.get(runs[2][0]);
    if (tshark !== undefined) {
      for (const [name] of runs.slice(0, 2)) {
        const t = best.get(name);
        if (t !== undefined) console.log(`  ${name} is ${(tshark / t).toFixed(1)}x tshark's speed`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
