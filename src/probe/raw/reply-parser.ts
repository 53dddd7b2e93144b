/**
 * Classifies the packets the probe helper hands over (docs/probe-helper.md, "Raw transport"): ICMP Time Exceeded and
 * Destination Unreachable with the quoted probe's IPv4 header and ports, and TCP segments (possible answers of a
 * destination to TCP probes). Anything else, or anything malformed, is `null`: the transport ignores it. Pure.
 */
import { ICMP_DEST_UNREACH, ICMP_EXC_TTL, ICMP_TIME_EXCEEDED, decodeIcmp } from "../../wire/icmp.ts";
import { IPPROTO_ICMP, IPPROTO_TCP, decodeIpv4Header } from "../../wire/ipv4.ts";
import { decodeTcp } from "../../wire/tcp.ts";

/** The probe an ICMP error quotes: its IPv4 header fields and first transport bytes. */
export interface QuotedProbe {
  /** Addresses, unsigned 32-bit. */
  srcAddr: number;
  dstAddr: number;
  protocol: number;
  identification: number;
  srcPort: number;
  dstPort: number;
}

/** A received packet the transport may match to a probe. */
export type ParsedReply =
  | {
      kind: "icmp";
      /** Time Exceeded in transit (type 11 code 0) or Destination Unreachable (type 3, any code). */
      error: "time-exceeded" | "unreachable";
      /** ICMP code. */
      code: number;
      /** The ICMP packet's source address (the answering interface), unsigned 32-bit. */
      responder: number;
      quoted: QuotedProbe;
    }
  | {
      kind: "tcp";
      srcAddr: number;
      dstAddr: number;
      srcPort: number;
      dstPort: number;
      sequenceNumber: number;
      /** TCP flag bits (`TCP_*` of tcp-flags.ts). */
      flags: number;
    };

/** Parses one received IPv4 packet; `null` for anything the raw transport does not match on. Never throws. */
export function parseReply(bytes: Uint8Array): ParsedReply | null {
  try {
    const ip = decodeIpv4Header(bytes, 0);
    if (ip.fragmentOffset !== 0 || ip.moreFragments) return null;
    const end = Math.min(bytes.length, ip.totalLength);
    const length = end - ip.headerLength;
    if (ip.protocol === IPPROTO_TCP) {
      const tcp = decodeTcp(bytes.subarray(ip.headerLength, end), 0);
      return {
        kind: "tcp",
        srcAddr: ip.srcAddr,
        dstAddr: ip.dstAddr,
        srcPort: tcp.srcPort,
        dstPort: tcp.dstPort,
        sequenceNumber: tcp.sequenceNumber,
        flags: tcp.flags,
      };
    }
    if (ip.protocol !== IPPROTO_ICMP) return null;
    const icmp = decodeIcmp(bytes, ip.headerLength, length);
    const te = icmp.type === ICMP_TIME_EXCEEDED && icmp.code === ICMP_EXC_TTL;
    if ((!te && icmp.type !== ICMP_DEST_UNREACH) || icmp.quote === undefined) return null;
    const q = icmp.quote;
    if (q.transport.kind !== "udp" && q.transport.kind !== "tcp") return null;
    return {
      kind: "icmp",
      error: te ? "time-exceeded" : "unreachable",
      code: icmp.code,
      responder: ip.srcAddr,
      quoted: {
        srcAddr: q.ipHeader.srcAddr,
        dstAddr: q.ipHeader.dstAddr,
        protocol: q.ipHeader.protocol,
        identification: q.ipHeader.identification,
        srcPort: q.transport.srcPort,
        dstPort: q.transport.dstPort,
      },
    };
  } catch {
    // A malformed packet is somebody else's traffic or noise: ignore it.
    return null;
  }
}
