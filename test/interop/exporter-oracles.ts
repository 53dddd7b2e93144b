/**
 * Shared pieces of the exporter's interop tests: the expected flows of a capture computed from tshark's own packet
 * dump (never from flowlens code), a UDP sink that keeps every datagram it receives, a pcap of received datagrams for
 * tshark's cflow dissector, nfcapd/nfdump runs, and `flowlens export` as a child process.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodePcap } from "../../src/wire/pcap-writer.ts";
import { encodeEthernetIpv4UdpFrame } from "../../src/wire/udp-packet.ts";
import { startChild, waitFor } from "../helpers/processes.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One flow as tshark's packet dump shows it: packets grouped by (src, dst, proto, sport, dport, tos). */
export interface TsharkFlow {
  src: string;
  dst: string;
  prot: number;
  srcPort: number;
  /** Destination port, or ICMP type << 8 | code. */
  dstPort: number;
  tos: number;
  packets: number;
  /** Sum of ip.len. */
  bytes: number;
  /** Sum of frame.len - 14 - ip.len: the Ethernet padding of the flow's frames. */
  padding: number;
  tcpFlags: number;
  /** frame.time_epoch of the first and last packet, epoch ms. */
  firstMs: number;
  lastMs: number;
}

/** The flow key as one string: `src:sport > dst:dport pN tos`. */
export function flowKey(src: string, dst: string, srcPort: number, dstPort: number, prot: number, tos = 0): string {
  return `${src}:${srcPort} > ${dst}:${dstPort} p${prot} tos${tos}`;
}

const FIELDS = [
  "frame.time_epoch",
  "frame.len",
  "ip.src",
  "ip.dst",
  "ip.proto",
  "ip.dsfield",
  "ip.len",
  "tcp.srcport",
  "tcp.dstport",
  "tcp.flags",
  "udp.srcport",
  "udp.dstport",
  "icmp.type",
  "icmp.code",
];

/** Reads `pcap` with tshark and groups its IPv4 packets into unidirectional flows, keyed by {@link flowKey}. */
export function tsharkFlows(pcap: string): Map<string, TsharkFlow> {
  const args = ["-r", pcap, "-Y", "ip", "-T", "fields", "-E", "separator=|", ...FIELDS.flatMap((f) => ["-e", f])];
  const r = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  assert.equal(r.status, 0, `tshark failed: ${r.stderr}`);
  const flows = new Map<string, TsharkFlow>();
  for (const line of r.stdout.trim().split("\n")) {
    const [time, frameLen, src, dst, proto, ds, ipLen, tsp, tdp, tflags, usp, udp, itype, icode] = line.split("|");
    const prot = Number(proto);
    const ms = Math.round(Number(time) * 1000);
    const srcPort = Number(tsp || usp || 0);
    const dstPort = prot === 1 ? (Number(itype) << 8) | Number(icode) : Number(tdp || udp || 0);
    const tos = Number.parseInt(ds, 16);
    const key = flowKey(src, dst, srcPort, dstPort, prot, tos);
    const f = flows.get(key) ?? {
      src,
      dst,
      prot,
      srcPort,
      dstPort,
      tos,
      packets: 0,
      bytes: 0,
      padding: 0,
      tcpFlags: 0,
      firstMs: ms,
      lastMs: ms,
    };
    f.packets++;
    f.bytes += Number(ipLen);
    f.padding += Number(frameLen) - 14 - Number(ipLen);
    f.tcpFlags |= tflags ? Number.parseInt(tflags, 16) & 0xff : 0;
    f.lastMs = ms;
    flows.set(key, f);
  }
  return flows;
}

/** Free port numbers on 127.0.0.1 for programs that take a port number, not 0: TCP ones and UDP ones (nfcapd). */
export { freePort, freeUdpPort } from "../helpers/free-port.ts";

/** A UDP socket on 127.0.0.1 that keeps every datagram it receives. */
export interface UdpSink {
  readonly port: number;
  readonly datagrams: Uint8Array[];
  close(): Promise<void>;
}

/** Opens a {@link UdpSink} on a free port with a 8 MiB receive buffer. */
export async function udpSink(): Promise<UdpSink> {
  const socket: Socket = createSocket("udp4");
  const datagrams: Uint8Array[] = [];
  socket.on("message", (m) => datagrams.push(new Uint8Array(m)));
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  socket.setRecvBufferSize(8 * 1024 * 1024);
  return {
    port: socket.address().port,
    datagrams,
    close: () => new Promise((r) => socket.close(() => r())),
  };
}

/** Writes received datagrams as Ethernet/IPv4/UDP frames to `port` in a pcap, for tshark's dissectors. */
export function datagramsPcap(file: string, datagrams: readonly Uint8Array[], port: number): void {
  const packets = datagrams.map((payload, i) => ({
    timestampNs: BigInt(1_700_000_000 + i) * 1_000_000_000n,
    data: encodeEthernetIpv4UdpFrame({
      srcAddr: 0x7f000001,
      dstAddr: 0x7f000001,
      srcPort: 40000,
      dstPort: port,
      payload,
    }),
  }));
  writeFileSync(file, encodePcap(packets));
}

type Json = Record<string, unknown>;

/** Every leaf of a tshark JSON subtree, flattened (duplicate keys: the last wins). */
function flatten(node: Json, into: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(node)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v as Json, into);
    else into[k] = String(v);
  }
  return into;
}

/** One datagram as tshark's cflow dissector reads it: header fields and one flat field map per record. */
export interface TsharkCflow {
  header: Record<string, string>;
  records: Record<string, string>[];
}

/** Decodes a pcap of datagrams to `port` with `tshark -d udp.port==PORT,cflow -T json`. */
export function tsharkCflow(file: string, port: number): TsharkCflow[] {
  const args = ["-r", file, "-d", `udp.port==${port},cflow`, "-T", "json", "--no-duplicate-keys", "-J", "cflow"];
  const r = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  assert.equal(r.status, 0, `tshark failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { _source: { layers: { cflow: Json } } }[];
  return out.map((p) => {
    const cflow = p._source.layers.cflow;
    const header: Record<string, string> = {};
    const records: Record<string, string>[] = [];
    for (const [k, v] of Object.entries(cflow)) {
      if (k.startsWith("pdu ")) records.push(flatten(v as Json));
      else if (v !== null && typeof v === "object") Object.assign(header, flatten(v as Json));
      else header[k] = String(v);
    }
    return { header, records };
  });
}

/** Runs `flowlens ARGS` to completion (with `env` added to the environment); resolves with its exit code and output. */
export async function runFlowlens(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  const code = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

/** Starts nfcapd on 127.0.0.1:`port` writing into `dir`; resolves once it listens. */
export async function startNfcapd(dir: string, port: number) {
  const child = startChild("nfcapd", ["-w", dir, "-p", String(port), "-b", "127.0.0.1", "-t", "3600", "-B", "4194304"]);
  await waitFor("nfcapd to listen", () => /Startup/.test(child.stdout + child.stderr));
  return child;
}

/** One flow as nfdump prints it. */
export interface NfdumpFlow {
  key: string;
  packets: number;
  bytes: number;
  tcpFlags: number;
  /** Start and end, epoch ms. */
  firstMs: number;
  lastMs: number;
}

const PROTOCOLS: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1 };

/** Reads every flow nfcapd stored under `dir`, with `nfdump -R DIR`, times as epoch ms (UTC). */
export function nfdumpFlows(dir: string): NfdumpFlow[] {
  const fmt = "fmt:%sa|%da|%sp|%dp|%pr|%tos|%pkt|%byt|%flg|%ts|%te";
  const r = spawnSync("nfdump", ["-R", dir, "-q", "-N", "-o", fmt], {
    encoding: "utf8",
    env: { ...process.env, TZ: "UTC" },
  });
  assert.equal(r.status, 0, r.stderr);
  const icmpPort = (p: string) =>
    p.includes(".") ? (Number(p.split(".")[0]) << 8) | Number(p.split(".")[1]) : Number(p);
  const flags = (s: string) =>
    [..."CEUAPRSF"].reduce((a, c, i) => (s.padStart(8, ".")[i] === c ? a | (0x80 >> i) : a), 0);
  const time = (s: string) => Date.parse(`${s.replace(" ", "T")}Z`);
  return r.stdout
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => l.split("|").map((f) => f.trim()))
    .map(([sa, da, sp, dp, pr, tos, pkt, byt, flg, ts, te]) => ({
      key: flowKey(sa, da, Number(sp), icmpPort(dp), PROTOCOLS[pr] ?? Number(pr), Number(tos)),
      packets: Number(pkt),
      bytes: Number(byt),
      tcpFlags: flags(flg),
      firstMs: time(ts),
      lastMs: time(te),
    }));
}
