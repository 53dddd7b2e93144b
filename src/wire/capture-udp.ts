/**
 * Finds the UDP datagram inside a captured packet: link layer (capture-link.ts) → IPv4 or IPv6 → UDP. Used wherever a
 * capture carries UDP payloads of interest (NetFlow exports for `flowlens decode`, VXLAN for the overlay sniffer).
 * Fragments other than the first, non-UDP packets and unknown link types give `null`; a malformed header throws the
 * header codec's WireError.
 */
import { locateNetworkLayer } from "./capture-link.ts";
import { ETHERTYPE_IPV4 } from "./ethernet.ts";
import { IPPROTO_UDP, decodeIpv4Header } from "./ipv4.ts";
import { ipv4ToString } from "./ipv4-address.ts";
import { decodeIpv6, ipv6ToString } from "./ipv6.ts";
import { UDP_HEADER_LENGTH, decodeUdp } from "./udp.ts";

/** A UDP datagram found in a packet: endpoints as text and the payload as a view into the packet's bytes. */
export interface CapturedUdpDatagram {
  /** Source address, dotted quad or RFC 5952 IPv6 text. */
  srcAddr: string;
  /** Destination address, as `srcAddr`. */
  dstAddr: string;
  srcPort: number;
  dstPort: number;
  /** 4 or 6. */
  ipVersion: 4 | 6;
  /** The UDP payload (a view into the packet's bytes, not a copy). */
  payload: Uint8Array;
}

/**
 * The UDP datagram carried by a packet of link type `linkType`, or null when the packet is not (the first fragment of)
 * a UDP datagram over IPv4/IPv6 or the link type is unknown.
 * @throws the WireErrors of the IPv4, IPv6 and UDP decoders when their headers are malformed or cut short (a datagram
 *   cut by the capture's snaplen is `ERR_UDP_TRUNCATED`).
 */
export function findUdpDatagram(linkType: number, data: Uint8Array): CapturedUdpDatagram | null {
  const at = locateNetworkLayer(linkType, data);
  if (at === null) return null;
  let src: string;
  let dst: string;
  let udpOffset: number;
  let ipVersion: 4 | 6;
  if (at.etherType === ETHERTYPE_IPV4) {
    const ip = decodeIpv4Header(data, at.offset);
    if (ip.protocol !== IPPROTO_UDP || ip.fragmentOffset !== 0) return null;
    src = ipv4ToString(ip.srcAddr);
    dst = ipv4ToString(ip.dstAddr);
    udpOffset = at.offset + ip.headerLength;
    ipVersion = 4;
  } else {
    const ip = decodeIpv6(data, at.offset);
    if (ip.upperLayerProtocol !== IPPROTO_UDP || (ip.fragment !== undefined && ip.fragment.fragmentOffset !== 0)) {
      return null;
    }
    src = ipv6ToString(ip.srcAddr);
    dst = ipv6ToString(ip.dstAddr);
    udpOffset = ip.upperLayerOffset;
    ipVersion = 6;
  }
  return udpAt(data, udpOffset, src, dst, ipVersion);
}

function udpAt(data: Uint8Array, offset: number, src: string, dst: string, ipVersion: 4 | 6): CapturedUdpDatagram {
  const udp = decodeUdp(data, offset);
  return {
    srcAddr: src,
    dstAddr: dst,
    srcPort: udp.srcPort,
    dstPort: udp.dstPort,
    ipVersion,
    payload: data.subarray(offset + UDP_HEADER_LENGTH, offset + udp.length),
  };
}
