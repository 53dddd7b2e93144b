/**
 * Exporter throughput against softflowd (`node --import tsx bench/exporter.ts`, or `runExporterBench()`): one pcap of
 * 1,000,000 Ethernet/IPv4 packets (TCP and UDP, 20,000 flows, IMIX-like sizes, 10 us apart) is exported as NetFlow v5
 * at rate 1 by `flowlens export --pcap` and by `softflowd -r`, in the same run, each sending to its own UDP sink on
 * loopback. Each command's wall time and peak RSS (VmHWM, from GNU time's %M) are measured as a whole, process start
 * included; flowlens's start-up (Node with the TypeScript loader, measured on a one-packet capture) is also shown
 * apart. Best of three runs each. Records received by the sinks are counted to show both exported every flow.
 */
import { spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PACKETS = 1_000_000;
const FLOWS = 20_000;
const RUNS = 3;

/** Writes the benchmark capture: `packets` frames of `flows` flows, 10 us apart, starting 2026-11-18. */
export function writeBenchCapture(path: string, packets = PACKETS, flows = FLOWS): void {
  const fd = openSync(path, "w");
  const buf = Buffer.alloc(4 * 1024 * 1024);
  let at = 0;
  const flush = () => {
    writeSync(fd, buf, 0, at);
    at = 0;
  };
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(262144, 16);
  buf.writeUInt32LE(1, 20);
  at = 24;
  let x = 0x12345678;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const startUs = 1_795_000_000_000_000;
  for (let i = 0; i < packets; i++) {
    const f = Math.floor(rnd() * flows);
    const tcp = f % 3 !== 0;
    const l4 = tcp ? 20 : 8;
    const r = rnd();
    const payload = r < 0.5 ? 0 : r < 0.85 ? 40 + (i % 500) : 1400;
    const ipLen = 20 + l4 + payload;
    const frameLen = 14 + ipLen;
    if (at + 16 + frameLen > buf.length) flush();
    const us = startUs + i * 10;
    buf.writeUInt32LE(Math.floor(us / 1e6), at);
    buf.writeUInt32LE(us % 1e6, at + 4);
    buf.writeUInt32LE(frameLen, at + 8);
    buf.writeUInt32LE(frameLen, at + 12);
    const p = at + 16;
    buf.fill(0, p, p + frameLen);
    buf.writeUInt16BE(0x0800, p + 12);
    const o = p + 14;
    buf[o] = 0x45;
    buf.writeUInt16BE(ipLen, o + 2);
    buf[o + 8] = 64;
    buf[o + 9] = tcp ? 6 : 17;
    buf.writeUInt32BE((0x0a000000 | (f & 0xffff)) >>> 0, o + 12);
    buf.writeUInt32BE((0xac100000 | (f % 251)) >>> 0, o + 16);
    buf.writeUInt16BE(1024 + (f % 60000), o + 20);
    buf.writeUInt16BE([80, 443, 53, 8080][f % 4], o + 22);
    if (tcp) {
      buf[o + 32] = 0x50;
      buf[o + 33] = 0x18; // ACK PSH
    } else buf.writeUInt16BE(8 + payload, o + 24);
    at += 16 + frameLen;
  }
  flush();
  closeSync(fd);
}

interface Sink {
  port: number;
  datagrams: number;
  records: number;
  close(): Promise<void>;
}

async function sink(): Promise<Sink> {
  const socket: Socket = createSocket("udp4");
  const s: Sink = { port: 0, datagrams: 0, records: 0, close: () => new Promise((r) => socket.close(() => r())) };
  socket.on("message", (m) => {
    s.datagrams++;
    s.records += m.readUInt16BE(2);
  });
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  socket.setRecvBufferSize(16 * 1024 * 1024);
  s.port = socket.address().port;
  return s;
}

interface Run {
  seconds: number;
  peakKiB: number;
  records: number;
}

/** Runs `command args` under GNU time (asynchronously, so the sink in this process keeps receiving). */
async function timed(command: string, args: string[]): Promise<Run> {
  const s = await sink();
  const { spawn } = await import("node:child_process");
  const full = args.map((a) => a.replace("{PORT}", String(s.port)));
  const child = spawn("/usr/bin/time", ["-f", "%e %M", command, ...full], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  await new Promise((r) => setTimeout(r, 300));
  await s.close();
  if (code !== 0) throw new Error(`${command} failed (${code}): ${stderr}`);
  const [seconds, peak] = stderr.trim().split("\n").pop()!.split(" ").map(Number);
  return { seconds, peakKiB: peak, records: s.records };
}

async function best(name: string, command: string, args: string[]): Promise<Run> {
  let b: Run | undefined;
  for (let i = 0; i < RUNS; i++) {
    const r = await timed(command, args);
    if (b === undefined || r.seconds < b.seconds) b = r;
  }
  console.log(
    `  ${name.padEnd(28)} ${b!.seconds.toFixed(2).padStart(6)} s  ${(PACKETS / b!.seconds / 1e6).toFixed(2)} M packets/s  peak RSS ${(b!.peakKiB / 1024).toFixed(0)} MiB  ${b!.records} records received`,
  );
  return b!;
}

/** Generates the capture, runs both exporters and prints the comparison. */
export async function runExporterBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "flowlens-bench-exporter-"));
  try {
    const pcap = join(dir, "bench.pcap");
    writeBenchCapture(pcap);
    const tiny = join(dir, "tiny.pcap");
    writeBenchCapture(tiny, 1, 1);
    const version = spawnSync("dpkg-query", ["-W", "softflowd"], { encoding: "utf8" }).stdout.split("\t")[1] ?? "";
    console.log(
      `\nexporter: ${PACKETS.toLocaleString("en")} packets, ${FLOWS.toLocaleString("en")} flows, v5 at rate 1 to a UDP sink on loopback, best of ${RUNS}`,
    );
    const flowlens = ["bin/flowlens.js", "export", "--pcap", pcap, "--to", "127.0.0.1:{PORT}", "--send-rate", "0"];
    const fl = await best("flowlens export --pcap", process.execPath, flowlens);
    const startup = await best("  (start-up: 1-packet file)", process.execPath, [
      "bin/flowlens.js",
      "export",
      "--pcap",
      tiny,
      "--to",
      "127.0.0.1:{PORT}",
    ]);
    // softflowd: the same cache size as flowlens's default (65536), so neither expires flows early.
    const sfArgs = [
      "-r",
      pcap,
      "-n",
      "127.0.0.1:{PORT}",
      "-v",
      "5",
      "-m",
      "65536",
      "-c",
      "none",
      "-d",
      "-p",
      join(dir, "sf.pid"),
    ];
    const sf = await best(`softflowd -r ${version.trim()}`, "softflowd", sfArgs);
    console.log(`  ratio flowlens/softflowd packets/s (whole command): ${(sf.seconds / fl.seconds).toFixed(2)}`);
    const work = fl.seconds - startup.seconds;
    console.log(
      `  flowlens without start-up: ${(PACKETS / work / 1e6).toFixed(2)} M packets/s, ratio ${(sf.seconds / work).toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("exporter.ts")) await runExporterBench();
