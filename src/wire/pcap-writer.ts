/**
 * Classic libpcap file writing (https://www.tcpdump.org/manuals/pcap-savefile.html): a 24-byte global header followed by
 * 16-byte record headers and packet bytes. Written little-endian with microsecond timestamps (magic 0xa1b2c3d4), or
 * nanosecond timestamps (magic 0xa1b23c4d) on request.
 */
import { InvalidFieldError } from "./errors.ts";

/** Length of the pcap global (file) header, bytes. */
export const PCAP_GLOBAL_HEADER_LENGTH = 24;
/** Length of one pcap record (packet) header, bytes. */
export const PCAP_RECORD_HEADER_LENGTH = 16;
/** Link type of Ethernet frames (DLT_EN10MB). */
export const LINKTYPE_ETHERNET = 1;
/** Link type of raw IPv4/IPv6 packets without a link-layer header. */
export const LINKTYPE_RAW = 101;
/** Link type of Linux cooked capture v1. */
export const LINKTYPE_LINUX_SLL = 113;
/** Link type of Linux cooked capture v2. */
export const LINKTYPE_LINUX_SLL2 = 276;

/** Magic of a microsecond-resolution pcap file, as read in the writer's byte order. */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
/** Magic of a nanosecond-resolution pcap file. */
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;

/** One packet to write: its bytes and capture time. */
export interface PcapPacket {
  /** Capture time in nanoseconds since the UNIX epoch (default 0). */
  timestampNs?: bigint;
  /** The captured bytes, starting at the link-layer header of the file's link type. */
  data: Uint8Array;
  /** Original length on the wire, bytes (default `data.length`). */
  origLen?: number;
}

/** Options of a pcap file. */
export interface PcapWriteOptions {
  /** Link type of every packet (default {@link LINKTYPE_ETHERNET}). */
  linkType?: number;
  /** Snapshot length written in the header (default 262144). */
  snapLen?: number;
  /** Write nanosecond timestamps (default false: microseconds). */
  nanosecond?: boolean;
}

/** Encodes the 24-byte pcap global header. */
export function encodePcapGlobalHeader(options: PcapWriteOptions = {}): Uint8Array {
  const out = new Uint8Array(PCAP_GLOBAL_HEADER_LENGTH);
  const v = new DataView(out.buffer);
  v.setUint32(0, options.nanosecond ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS, true);
  v.setUint16(4, 2, true); // version 2.4
  v.setUint16(6, 4, true);
  v.setUint32(16, options.snapLen ?? 262144, true);
  v.setUint32(20, options.linkType ?? LINKTYPE_ETHERNET, true);
  return out;
}

/**
 * Encodes one record header plus the packet bytes.
 * @throws InvalidFieldError `ERR_PCAP_TIMESTAMP` for a negative timestamp or one past 2106 (32-bit seconds).
 */
export function encodePcapRecord(packet: PcapPacket, nanosecond = false): Uint8Array {
  const ts = packet.timestampNs ?? 0n;
  if (ts < 0n || ts >= 4294967296n * 1_000_000_000n) {
    throw new InvalidFieldError("ERR_PCAP_TIMESTAMP", `pcap timestamp out of range: ${ts} ns`, 0);
  }
  const out = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + packet.data.length);
  const v = new DataView(out.buffer);
  const secs = ts / 1_000_000_000n;
  const frac = ts % 1_000_000_000n;
  v.setUint32(0, Number(secs), true);
  v.setUint32(4, Number(nanosecond ? frac : frac / 1000n), true);
  v.setUint32(8, packet.data.length, true);
  v.setUint32(12, packet.origLen ?? packet.data.length, true);
  out.set(packet.data, PCAP_RECORD_HEADER_LENGTH);
  return out;
}

/** Encodes a whole pcap file holding `packets`. */
export function encodePcap(packets: readonly PcapPacket[], options: PcapWriteOptions = {}): Uint8Array {
  const parts = [encodePcapGlobalHeader(options)];
  for (const p of packets) parts.push(encodePcapRecord(p, options.nanosecond ?? false));
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
