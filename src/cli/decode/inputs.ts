/**
 * The inputs of `flowlens decode`: NetFlow datagrams from pcap/pcapng captures (UDP payloads) or from raw files of
 * datagrams laid end to end, as a stream of events, each either a decoded datagram or a rejection with its reason.
 */
import { open, readFile } from "node:fs/promises";
import { readCaptureFile } from "../../runtime/capture-file.ts";
import { findUdpDatagram } from "../../wire/capture-udp.ts";
import { isWireError } from "../../wire/errors.ts";
import {
  type NetflowDatagram,
  type NetflowDecodeOptions,
  decodeNetflow,
  netflowDatagramLength,
} from "../../wire/netflow.ts";

/** Where a datagram came from. */
export interface DatagramOrigin {
  /** The file as named on the command line. */
  file: string;
  /** 1-based index of the datagram within the file (captures: among the UDP datagrams considered). */
  index: number;
  /** Exporter and collector endpoints (`addr:port`), for datagrams from captures. */
  exporter?: string;
  collector?: string;
  /** Capture time of the packet, ns since the epoch, for datagrams from captures. */
  capturedAtNs?: bigint;
}

/** A decoded datagram. */
export interface DecodedEvent extends DatagramOrigin {
  kind: "datagram";
  datagram: NetflowDatagram;
}

/** A datagram (or a whole file) that could not be decoded. */
export interface RejectedEvent extends DatagramOrigin {
  kind: "rejected";
  /** Stable error code (`ERR_NETFLOW_COUNT`, `ERR_PCAP_TRUNCATED`, `ENOENT`...). */
  code: string;
  /** Byte offset of the problem: within the file for raw files and capture errors, within the datagram otherwise. */
  offset: number | undefined;
  /** Whether `offset` counts from the start of the file (else from the start of the datagram). */
  offsetInFile: boolean;
  message: string;
}

export type DecodeEvent = DecodedEvent | RejectedEvent;

/** Options of {@link readNetflowInputs}. */
export interface DecodeInputOptions extends NetflowDecodeOptions {
  /** Only UDP datagrams to or from this port are taken from captures, and their failures reported. */
  port?: number;
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

async function isCaptureFile(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead < 4) return false;
    return PCAP_MAGICS.has(new DataView(head.buffer).getUint32(0, false));
  } finally {
    await fh.close();
  }
}

function rejection(origin: DatagramOrigin, e: unknown, offsetInFile: boolean, base = 0): RejectedEvent {
  if (isWireError(e)) {
    return { ...origin, kind: "rejected", code: e.code, offset: base + e.offset, offsetInFile, message: e.message };
  }
  const err = e as NodeJS.ErrnoException;
  return {
    ...origin,
    kind: "rejected",
    code: err.code ?? "ERR_UNKNOWN",
    offset: undefined,
    offsetInFile,
    message: err.message,
  };
}

/**
 * Datagrams of a raw file: one after another by the length each header declares. Stops at the first datagram whose
 * length cannot be known, or that declares more bytes than the file has left.
 */
async function* rawDatagrams(file: string, options: DecodeInputOptions): AsyncGenerator<DecodeEvent> {
  const bytes = new Uint8Array(await readFile(file));
  let offset = 0;
  for (let index = 1; offset < bytes.length; index++) {
    const origin = { file, index };
    let length: number;
    try {
      length = netflowDatagramLength(bytes, offset);
    } catch (e) {
      yield rejection(origin, e, true);
      return;
    }
    const available = Math.min(length, bytes.length - offset);
    try {
      yield { ...origin, kind: "datagram", datagram: decodeNetflow(bytes, offset, available, options) };
    } catch (e) {
      yield rejection(origin, e, true);
      if (length > available) return;
    }
    offset += length;
  }
}

function looksLikeNetflow(payload: Uint8Array): boolean {
  return payload.length >= 2 && payload[0] === 0 && (payload[1] === 5 || payload[1] === 8);
}

/** NetFlow datagrams carried in UDP in a pcap/pcapng capture. */
async function* captureDatagrams(file: string, options: DecodeInputOptions): AsyncGenerator<DecodeEvent> {
  let index = 0;
  try {
    for await (const packet of readCaptureFile(file)) {
      let udp: ReturnType<typeof findUdpDatagram>;
      try {
        udp = findUdpDatagram(packet.linkType, packet.data);
      } catch {
        continue; // not a well-formed IP/UDP packet: not ours to report
      }
      if (udp === null) continue;
      const portMatch = options.port === undefined || udp.srcPort === options.port || udp.dstPort === options.port;
      if (!portMatch || (options.port === undefined && !looksLikeNetflow(udp.payload))) continue;
      const fmt = (a: string, p: number) => (udp.ipVersion === 6 ? `[${a}]:${p}` : `${a}:${p}`);
      index++;
      const origin: DatagramOrigin = {
        file,
        index,
        exporter: fmt(udp.srcAddr, udp.srcPort),
        collector: fmt(udp.dstAddr, udp.dstPort),
        capturedAtNs: packet.timestampNs,
      };
      try {
        yield { ...origin, kind: "datagram", datagram: decodeNetflow(udp.payload, 0, udp.payload.length, options) };
      } catch (e) {
        // Without --port a UDP datagram that does not decode is simply not NetFlow; with it, it is a rejection.
        if (options.port !== undefined) yield rejection(origin, e, false);
        else index--;
      }
    }
  } catch (e) {
    yield rejection({ file, index: index + 1 }, e, true);
  }
}

/** All datagrams of all files, in order. I/O errors (missing file...) become rejections of that file. */
export async function* readNetflowInputs(
  files: readonly string[],
  options: DecodeInputOptions,
): AsyncGenerator<DecodeEvent> {
  for (const file of files) {
    let capture: boolean;
    try {
      capture = await isCaptureFile(file);
    } catch (e) {
      yield rejection({ file, index: 0 }, e, true);
      continue;
    }
    yield* capture ? captureDatagrams(file, options) : rawDatagrams(file, options);
  }
}
