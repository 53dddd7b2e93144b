/**
 * Builders of whole UDP packets: IPv4 + UDP (RFC 791, RFC 768) with correct checksums, optionally inside an Ethernet II
 * frame. Used by the probe transports, the simulator and tests that need real packets.
 */
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_IPV4, encodeEthernet, macFromString } from "./ethernet.ts";
import { InvalidFieldError } from "./errors.ts";
import { IPPROTO_UDP, IPV4_MIN_HEADER_LENGTH, encodeIpv4 } from "./ipv4.ts";
import { UDP_HEADER_LENGTH, encodeUdp, fillUdpChecksumIpv4 } from "./udp.ts";

/** Default source MAC of {@link encodeEthernetIpv4UdpFrame}: a locally administered unicast address. */
export const DEFAULT_SRC_MAC = "02:00:00:00:00:01";
/** Default destination MAC of {@link encodeEthernetIpv4UdpFrame}. */
export const DEFAULT_DST_MAC = "02:00:00:00:00:02";

/** What the UDP packet builders need. */
export interface Ipv4UdpPacketOptions {
  /** Source IPv4 address, unsigned 32-bit. */
  srcAddr: number;
  /** Destination IPv4 address, unsigned 32-bit. */
  dstAddr: number;
  /** UDP source port. */
  srcPort: number;
  /** UDP destination port. */
  dstPort: number;
  /** UDP payload, at most 65507 bytes. */
  payload: Uint8Array;
  /** IPv4 time to live (default 64). */
  ttl?: number;
  /** IPv4 identification (default 0). */
  identification?: number;
  /** IPv4 type-of-service / DS octet (default 0). */
  tos?: number;
  /** Set the IPv4 DF flag (default false), as Linux does on sockets doing path MTU discovery. */
  dontFragment?: boolean;
  /** Whether to compute the UDP checksum (default true); false writes 0, "no checksum". */
  udpChecksum?: boolean;
  /** Ethernet source MAC, `aa:bb:cc:dd:ee:ff` (frames only; default {@link DEFAULT_SRC_MAC}). */
  srcMac?: string;
  /** Ethernet destination MAC (frames only; default {@link DEFAULT_DST_MAC}). */
  dstMac?: string;
}

/** Largest UDP payload over IPv4 without options: 65535 - 20 - 8. */
export const IPV4_UDP_MAX_PAYLOAD = 0xffff - IPV4_MIN_HEADER_LENGTH - UDP_HEADER_LENGTH;

function writeIpv4Udp(opts: Ipv4UdpPacketOptions, out: Uint8Array, offset: number): void {
  if (opts.payload.length > IPV4_UDP_MAX_PAYLOAD) {
    throw new InvalidFieldError("ERR_UDP_PACKET_PAYLOAD", `UDP payload ${opts.payload.length} bytes too long`, offset);
  }
  const udpLength = UDP_HEADER_LENGTH + opts.payload.length;
  encodeIpv4(
    {
      tos: opts.tos ?? 0,
      totalLength: IPV4_MIN_HEADER_LENGTH + udpLength,
      identification: opts.identification ?? 0,
      dontFragment: opts.dontFragment ?? false,
      ttl: opts.ttl ?? 64,
      protocol: IPPROTO_UDP,
      srcAddr: opts.srcAddr,
      dstAddr: opts.dstAddr,
    },
    out,
    offset,
  );
  const u = offset + IPV4_MIN_HEADER_LENGTH;
  encodeUdp({ srcPort: opts.srcPort, dstPort: opts.dstPort, length: udpLength, checksum: 0 }, out, u);
  out.set(opts.payload, u + UDP_HEADER_LENGTH);
  if (opts.udpChecksum ?? true) fillUdpChecksumIpv4(out, u, opts.srcAddr, opts.dstAddr);
}

/**
 * Builds an IPv4 packet (20-byte header, no options, MF clear, DF as asked) carrying one UDP datagram, both checksums correct.
 * @throws WireError `ERR_UDP_PACKET_PAYLOAD` for a payload over 65507 bytes; `ERR_IPV4_FIELD` / `ERR_UDP_FIELD` for a
 *   field out of range.
 */
export function encodeIpv4UdpPacket(opts: Ipv4UdpPacketOptions): Uint8Array {
  const out = new Uint8Array(IPV4_MIN_HEADER_LENGTH + UDP_HEADER_LENGTH + opts.payload.length);
  writeIpv4Udp(opts, out, 0);
  return out;
}

/**
 * Builds an untagged Ethernet II frame (EtherType IPv4, no FCS, no padding to 60 bytes) carrying the packet of
 * {@link encodeIpv4UdpPacket}.
 * @throws the errors of {@link encodeIpv4UdpPacket}; `ERR_MAC_ADDRESS` for a malformed MAC.
 */
export function encodeEthernetIpv4UdpFrame(opts: Ipv4UdpPacketOptions): Uint8Array {
  const out = new Uint8Array(ETHERNET_HEADER_LENGTH + IPV4_MIN_HEADER_LENGTH + UDP_HEADER_LENGTH + opts.payload.length);
  encodeEthernet(
    {
      dstMac: macFromString(opts.dstMac ?? DEFAULT_DST_MAC),
      srcMac: macFromString(opts.srcMac ?? DEFAULT_SRC_MAC),
      etherType: ETHERTYPE_IPV4,
    },
    out,
    0,
  );
  writeIpv4Udp(opts, out, ETHERNET_HEADER_LENGTH);
  return out;
}
