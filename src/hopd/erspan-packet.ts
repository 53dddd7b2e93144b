/**
 * One mirrored packet as it goes to the analyzer: IPv4 (protocol 47, from the router's address) + GRE (protocol
 * 0x88BE, S bit and sequence number) + ERSPAN type II (version 1, session id, index) + the mirrored Ethernet frame
 * (draft-foschiano-erspan-03 §4.1). Built with the `src/wire/` codecs; pure.
 *
 * Captures that are not Ethernet (raw IP, Linux cooked) get an Ethernet header with zero MACs and the packet's
 * EtherType, so the analyzer always sees an Ethernet frame. A frame longer than `maxFrame` is cut to it and the ERSPAN
 * T bit set: a raw socket never fragments, and the encapsulation adds 36 bytes.
 */
import { encodeErspan, ERSPAN_II_HEADER_LENGTH } from "../wire/erspan.ts";
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ERSPAN_II,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  encodeEthernet,
} from "../wire/ethernet.ts";
import { encodeGre } from "../wire/gre.ts";
import { ipv4FromString } from "../wire/ipv4-address.ts";
import { IPPROTO_GRE, IPV4_MIN_HEADER_LENGTH, encodeIpv4 } from "../wire/ipv4.ts";

/** LINKTYPE_ETHERNET. */
export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_RAW (raw IPv4/IPv6). */
export const LINKTYPE_RAW = 101;
/** LINKTYPE_LINUX_SLL (Linux cooked v1, 16-byte header). */
export const LINKTYPE_LINUX_SLL = 113;
/** GRE header with a sequence number, bytes. */
export const GRE_SEQ_HEADER_LENGTH = 8;
/** Bytes the encapsulation adds in front of the mirrored frame: IPv4 20 + GRE 8 + ERSPAN II 8. */
export const ERSPAN_OVERHEAD = IPV4_MIN_HEADER_LENGTH + GRE_SEQ_HEADER_LENGTH + ERSPAN_II_HEADER_LENGTH;

/** The mirror session's constant fields. */
export interface ErspanSessionFields {
  /** Router address the mirror comes from (IPv4 source). */
  source: string;
  /** The analyzer (IPv4 destination). */
  analyzer: string;
  /** ERSPAN session id, 0..1023. */
  sessionId: number;
  /** ERSPAN index (the mirrored port's ifindex), 0..0xfffff. */
  index: number;
  /** Largest mirrored frame carried, bytes. */
  maxFrame: number;
}

const ZERO_MAC = new Uint8Array(6);

/** The captured packet as an Ethernet frame (a synthetic header for raw IP and cooked captures); null if unknown. */
export function asEthernetFrame(linkType: number, data: Uint8Array): Uint8Array | null {
  if (linkType === LINKTYPE_ETHERNET) return data;
  let ip: Uint8Array;
  if (linkType === LINKTYPE_RAW) ip = data;
  else if (linkType === LINKTYPE_LINUX_SLL && data.length >= 16) ip = data.subarray(16);
  else return null;
  if (ip.length === 0) return null;
  const version = ip[0]! >>> 4;
  const etherType = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : null;
  if (etherType === null) return null;
  const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + ip.length);
  encodeEthernet({ dstMac: ZERO_MAC, srcMac: ZERO_MAC, etherType }, frame, 0);
  frame.set(ip, ETHERNET_HEADER_LENGTH);
  return frame;
}

/**
 * The IPv4 packet carrying `frame` to the analyzer with GRE sequence number `sequence` (unsigned 32-bit).
 * `originalLength` is the frame's length on the wire (sets T when more than what is carried).
 */
export function encodeErspanPacket(
  session: ErspanSessionFields,
  frame: Uint8Array,
  sequence: number,
  originalLength = frame.length,
): Uint8Array {
  const carried = frame.subarray(0, Math.min(frame.length, session.maxFrame));
  const total = ERSPAN_OVERHEAD + carried.length;
  const out = new Uint8Array(total);
  encodeIpv4(
    {
      totalLength: total,
      protocol: IPPROTO_GRE,
      srcAddr: ipv4FromString(session.source),
      dstAddr: ipv4FromString(session.analyzer),
      ttl: 64,
      identification: sequence & 0xffff,
    },
    out,
    0,
  );
  encodeGre({ protocolType: ETHERTYPE_ERSPAN_II, sequenceNumber: sequence >>> 0 }, out, IPV4_MIN_HEADER_LENGTH);
  encodeErspan(
    {
      version: 1,
      vlan: 0,
      cos: 0,
      encapType: 0,
      truncated: carried.length < originalLength,
      sessionId: session.sessionId,
      index: session.index,
    },
    out,
    IPV4_MIN_HEADER_LENGTH + GRE_SEQ_HEADER_LENGTH,
  );
  out.set(carried, ERSPAN_OVERHEAD);
  return out;
}
