/**
 * Builders of the raw transport's probe packets (docs/probe-helper.md, "Raw transport"): whole IPv4 packets carrying a
 * flow's exact 5-tuple, so ECMP (hashing addresses, protocol and ports) puts them on the flow's own path, with the
 * probe's identity in the IPv4 identification, which ECMP does not hash; VXLAN tunnel probes carry the tunnel's outer
 * tuple the same way. Pure functions over `src/wire/`.
 */
import { holdIpv4UdpChecksum } from "../../wire/checksum.ts";
import { IPPROTO_TCP, IPV4_MIN_HEADER_LENGTH, encodeIpv4 } from "../../wire/ipv4.ts";
import { TCP_MIN_HEADER_LENGTH, encodeTcp, fillTcpChecksumIpv4 } from "../../wire/tcp.ts";
import { TCP_ACK } from "../../wire/tcp-flags.ts";
import { encodeEthernetIpv4UdpFrame, encodeIpv4UdpPacket } from "../../wire/udp-packet.ts";
import { VXLAN_HEADER_LENGTH, encodeVxlan } from "../../wire/vxlan.ts";

/** Length of the UDP probe payload, bytes: identity (2), TTL (1), attempt (1), checksum adjustment word (2), pad (2). */
export const UDP_PROBE_PAYLOAD_LENGTH = 8;
/** Offset of the checksum adjustment word inside the UDP probe payload. */
export const UDP_PROBE_ADJUST_OFFSET = 4;
/** Receive window advertised by TCP probes (unscaled). */
export const TCP_PROBE_WINDOW = 1024;

/** One probe's header values; addresses are unsigned 32-bit. */
export interface ProbeFields {
  srcAddr: number;
  dstAddr: number;
  srcPort: number;
  dstPort: number;
  /** IPv4 time to live, 1..255. */
  ttl: number;
  /** IPv4 identification carrying the probe's identity, 1..65535 (0 would let the kernel choose). */
  identification: number;
}

/** Options of a UDP probe. */
export interface UdpProbeFields extends ProbeFields {
  /** The try number (1 first), echoed in the payload for captures. */
  attempt: number;
  /**
   * The UDP checksum to hold (1..0xffff, as transmitted; see {@link udpFlowChecksum}), or null for "no checksum" (0):
   * `chksum: false` of the API.
   */
  checksum: number | null;
}

/** Options of a TCP probe. */
export interface TcpProbeFields extends ProbeFields {
  /** Sequence number, chosen outside any live window of the flow. */
  sequenceNumber: number;
  /** Acknowledgment number; a closed port's RST carries it back as its sequence number (RFC 9293, 3.10.7.1). */
  acknowledgmentNumber: number;
}

/**
 * The UDP checksum every probe of a flow carries: the checksum of the flow's probe with an all-zero payload (so it
 * depends only on the tuple). Paris traceroute's trick: routers that hash the checksum keep the flow's path too.
 */
export function udpFlowChecksum(srcAddr: number, dstAddr: number, srcPort: number, dstPort: number): number {
  const base = encodeIpv4UdpPacket({
    srcAddr,
    dstAddr,
    srcPort,
    dstPort,
    payload: new Uint8Array(UDP_PROBE_PAYLOAD_LENGTH),
  });
  const c = (base[IPV4_MIN_HEADER_LENGTH + 6] << 8) | base[IPV4_MIN_HEADER_LENGTH + 7];
  return c === 0 ? 0xffff : c;
}

/**
 * Writes a probe's identity at `at` of its payload, 4 bytes: the identification (big-endian), the TTL, the attempt
 * (255 for any later one).
 */
function putProbeIdentity(
  payload: Uint8Array,
  at: number,
  f: { identification: number; ttl: number; attempt: number },
): void {
  payload[at] = f.identification >>> 8;
  payload[at + 1] = f.identification & 0xff;
  payload[at + 2] = f.ttl;
  payload[at + 3] = Math.min(f.attempt, 255);
}

/**
 * An IPv4/UDP probe: the flow's addresses and ports, the TTL, the identity in the IP ID and the payload, and the UDP
 * checksum held at `checksum` by the payload's adjustment word (or 0 when `checksum` is null).
 * @throws WireError for a field out of range.
 */
export function encodeUdpProbe(f: UdpProbeFields): Uint8Array {
  const payload = new Uint8Array(UDP_PROBE_PAYLOAD_LENGTH);
  putProbeIdentity(payload, 0, f);
  const packet = encodeIpv4UdpPacket({
    srcAddr: f.srcAddr,
    dstAddr: f.dstAddr,
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    payload,
    ttl: f.ttl,
    identification: f.identification,
    udpChecksum: false,
  });
  if (f.checksum !== null) holdIpv4UdpChecksum(packet, UDP_PROBE_ADJUST_OFFSET, f.checksum);
  return packet;
}

/**
 * An IPv4/TCP probe: a bare ACK segment (never SYN) with the flow's ports, so a live connection at most answers with a
 * duplicate ACK and a closed port with a RST; correct TCP and IP checksums.
 * @throws WireError for a field out of range.
 */
export function encodeTcpProbe(f: TcpProbeFields): Uint8Array {
  const total = IPV4_MIN_HEADER_LENGTH + TCP_MIN_HEADER_LENGTH;
  const packet = new Uint8Array(total);
  encodeIpv4(
    {
      totalLength: total,
      identification: f.identification,
      ttl: f.ttl,
      protocol: IPPROTO_TCP,
      srcAddr: f.srcAddr,
      dstAddr: f.dstAddr,
    },
    packet,
    0,
  );
  encodeTcp(
    {
      srcPort: f.srcPort,
      dstPort: f.dstPort,
      sequenceNumber: f.sequenceNumber >>> 0,
      acknowledgmentNumber: f.acknowledgmentNumber >>> 0,
      flags: TCP_ACK,
      window: TCP_PROBE_WINDOW,
    },
    packet,
    IPV4_MIN_HEADER_LENGTH,
  );
  fillTcpChecksumIpv4(packet, IPV4_MIN_HEADER_LENGTH, TCP_MIN_HEADER_LENGTH, f.srcAddr, f.dstAddr);
  return packet;
}

/** First bytes of a tunnel probe's inner UDP payload, "FLPR": lets overlay sniffers leave probes out. */
export const TUNNEL_PROBE_MAGIC = Uint8Array.of(0x46, 0x4c, 0x50, 0x52);
/** Inner UDP payload of a tunnel probe: magic (4), identity (2), outer TTL (1), attempt (1), bytes. */
export const TUNNEL_PROBE_PAYLOAD_LENGTH = 8;
/** Inner UDP destination port of tunnel probes (traceroute's base port: closed by convention, so it draws port unreachable). */
export const TUNNEL_PROBE_INNER_PORT = 33434;

/** Options of a VXLAN tunnel probe: the outer tuple (VTEPs, outer source port to 4789) and the inner frame's addresses. */
export interface TunnelProbeFields extends Omit<ProbeFields, "dstPort"> {
  /** Outer UDP destination port (VXLAN, 4789). */
  dstPort: number;
  /** VXLAN network identifier, 0..16777215. */
  vni: number;
  /** Inner Ethernet source and destination MACs, `aa:bb:cc:dd:ee:ff`. */
  innerSrcMac: string;
  innerDstMac: string;
  /** Inner IPv4 source and destination addresses, unsigned 32-bit. */
  innerSrcAddr: number;
  innerDstAddr: number;
  /** Inner UDP source port (the inner destination port is {@link TUNNEL_PROBE_INNER_PORT}). */
  innerSrcPort: number;
  /** The try number (1 first), echoed in the inner payload. */
  attempt: number;
}

/**
 * A VXLAN tunnel probe (RFC 7348): outer IPv4 (VTEP to VTEP, the TTL walking the underlay, identity in the IP ID) and
 * UDP (the tunnel's source port to `dstPort`, checksum 0 as Linux VTEPs send by default), the VXLAN header with the VNI,
 * then the inner Ethernet frame `innerSrcMac` → `innerDstMac` with IPv4 `innerSrcAddr` → `innerDstAddr` (TTL 64, the
 * same identification) and UDP to port 33434 carrying {@link TUNNEL_PROBE_MAGIC}, the identity, TTL and attempt.
 * @throws WireError for a field out of range or a malformed MAC.
 */
export function encodeTunnelProbe(f: TunnelProbeFields): Uint8Array {
  const payload = new Uint8Array(TUNNEL_PROBE_PAYLOAD_LENGTH);
  payload.set(TUNNEL_PROBE_MAGIC, 0);
  putProbeIdentity(payload, TUNNEL_PROBE_MAGIC.length, f);
  const frame = encodeEthernetIpv4UdpFrame({
    srcAddr: f.innerSrcAddr,
    dstAddr: f.innerDstAddr,
    srcPort: f.innerSrcPort,
    dstPort: TUNNEL_PROBE_INNER_PORT,
    payload,
    identification: f.identification,
    srcMac: f.innerSrcMac,
    dstMac: f.innerDstMac,
  });
  const vxlan = new Uint8Array(VXLAN_HEADER_LENGTH + frame.length);
  encodeVxlan({ vni: f.vni }, vxlan, 0);
  vxlan.set(frame, VXLAN_HEADER_LENGTH);
  return encodeIpv4UdpPacket({
    srcAddr: f.srcAddr,
    dstAddr: f.dstAddr,
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    payload: vxlan,
    ttl: f.ttl,
    identification: f.identification,
    udpChecksum: false,
  });
}

/** Whether an inner UDP payload is a tunnel probe's (starts with {@link TUNNEL_PROBE_MAGIC}). */
export function isTunnelProbePayload(payload: Uint8Array): boolean {
  return payload.length >= TUNNEL_PROBE_MAGIC.length && TUNNEL_PROBE_MAGIC.every((b, i) => payload[i] === b);
}
