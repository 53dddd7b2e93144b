/**
 * Capture file parsing throughput: classic pcap and pcapng over an in-memory file of IMIX-sized Ethernet/IPv4/UDP
 * frames (7:4:1 of 60, 590 and 1514 bytes), whole-buffer and fed in 64 KiB chunks as a file stream would, plus link-layer
 * location. Run by bench/index.ts.
 */
import { locateNetworkLayer } from "../src/wire/capture-link.ts";
import { CaptureParser, decodeCaptureFile } from "../src/wire/capture-parser.ts";
import { encodePcap } from "../src/wire/pcap-writer.ts";
import { concat, epb, ethernetIpv4Frame, idb, shb } from "../test/helpers/capture-fixtures.ts";
import type { Benchmark } from "./types.ts";

const PACKET_COUNT = 12_000;
const IMIX = [60, 60, 60, 60, 60, 60, 60, 590, 590, 590, 590, 1514];

const frames = Array.from({ length: PACKET_COUNT }, (_, i) => ({
  timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 12_345n,
  data: ethernetIpv4Frame(IMIX[i % IMIX.length], i + 1),
}));

const pcapFile = encodePcap(frames, { nanosecond: true });
const pcapngFile = concat(
  shb(true),
  idb(true, { linkType: 1, snapLen: 262144 }),
  ...frames.map((f) => epb(true, 0, f.timestampNs / 1000n, f.data)),
);

/** Parses `file` fed in `chunkSize` slices; returns the bytes of packet data seen. */
function parseChunked(file: Uint8Array, chunkSize: number): number {
  const parser = new CaptureParser();
  let bytes = 0;
  for (let at = 0; at < file.length; at += chunkSize) {
    parser.push(file.subarray(at, at + chunkSize));
    for (let p = parser.next(); p !== undefined; p = parser.next()) bytes += p.data.length;
  }
  parser.end();
  for (let p = parser.next(); p !== undefined; p = parser.next()) bytes += p.data.length;
  return bytes;
}

function parseWhole(file: Uint8Array): number {
  let bytes = 0;
  for (const p of decodeCaptureFile(file).packets) bytes += p.data.length;
  return bytes;
}

const located = decodeCaptureFile(pcapFile).packets;

/** The capture benchmarks. */
export const benchmarks: Benchmark[] = [
  {
    group: "capture files",
    name: "pcap: decodeCaptureFile",
    unitsPerIteration: pcapFile.length,
    unit: "bytes",
    fn: () => parseWhole(pcapFile),
  },
  {
    group: "capture files",
    name: "pcap: CaptureParser, 64 KiB chunks",
    unitsPerIteration: pcapFile.length,
    unit: "bytes",
    fn: () => parseChunked(pcapFile, 65536),
  },
  {
    group: "capture files",
    name: "pcap: CaptureParser, 64 KiB chunks (records)",
    unitsPerIteration: PACKET_COUNT,
    unit: "records",
    fn: () => parseChunked(pcapFile, 65536),
  },
  {
    group: "capture files",
    name: "pcapng: decodeCaptureFile",
    unitsPerIteration: pcapngFile.length,
    unit: "bytes",
    fn: () => parseWhole(pcapngFile),
  },
  {
    group: "capture files",
    name: "pcapng: CaptureParser, 64 KiB chunks",
    unitsPerIteration: pcapngFile.length,
    unit: "bytes",
    fn: () => parseChunked(pcapngFile, 65536),
  },
  {
    group: "capture files",
    name: "pcapng: CaptureParser, 64 KiB chunks (records)",
    unitsPerIteration: PACKET_COUNT,
    unit: "records",
    fn: () => parseChunked(pcapngFile, 65536),
  },
  {
    group: "capture files",
    name: "locateNetworkLayer (Ethernet)",
    unitsPerIteration: located.length,
    unit: "records",
    fn: () => {
      let sum = 0;
      for (const p of located) sum += locateNetworkLayer(p.linkType, p.data)?.offset ?? 0;
      return sum;
    },
  },
];
