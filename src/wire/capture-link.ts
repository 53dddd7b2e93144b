/**
 * Finding the IPv4/IPv6 header inside a captured packet by its link type (https://www.tcpdump.org/linktypes.html):
 * Ethernet with any 802.1Q/802.1ad tags, raw IP, BSD loopback, Linux cooked capture v1 and v2. Issue 2 ("Capture files").
 */
import { WireError } from "./errors.ts";
import {
  decodeEthernet,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_LEGACY,
  ETHERTYPE_VLAN,
} from "./ethernet.ts";
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from "./pcap-writer.ts";

/** Link type of BSD loopback: a 4-byte address family in the writer's host byte order. */
export const LINKTYPE_NULL = 0;
/** Link type of OpenBSD loopback: a 4-byte address family in network byte order. */
export const LINKTYPE_LOOP = 108;
/** Link type of raw IPv4 packets. */
export const LINKTYPE_IPV4 = 228;
/** Link type of raw IPv6 packets. */
export const LINKTYPE_IPV6 = 229;
/** DLT_RAW as some platforms number it in files (12 on most, 14 on OpenBSD): raw IP like {@link LINKTYPE_RAW}. */
export const DLT_RAW_12 = 12;
/** DLT_RAW as OpenBSD and BSD/OS number it: raw IP. */
export const DLT_RAW_14 = 14;
/** Length of the Linux cooked capture v1 header (LINKTYPE_LINUX_SLL). */
export const SLL_HEADER_LENGTH = 16;
/** Length of the Linux cooked capture v2 header (LINKTYPE_LINUX_SLL2). */
export const SLL2_HEADER_LENGTH = 20;

/** Where a packet's network-layer header starts. */
export interface NetworkLayerLocation {
  /** EtherType of the network layer: 0x0800 (IPv4) or 0x86dd (IPv6). */
  etherType: number;
  /** Offset of the IP header in the packet's bytes. */
  offset: number;
}

/** IPv4 or IPv6 from the version nibble of the first byte at `offset`. */
function byVersion(data: Uint8Array, offset: number): NetworkLayerLocation | null {
  if (offset >= data.length) return null;
  const version = data[offset] >>> 4;
  if (version === 4) return { etherType: ETHERTYPE_IPV4, offset };
  if (version === 6) return { etherType: ETHERTYPE_IPV6, offset };
  return null;
}

/** The location when `etherType` is IPv4 or IPv6 and at least one byte follows, else null. */
function ipAt(data: Uint8Array, etherType: number, offset: number): NetworkLayerLocation | null {
  if ((etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) || offset >= data.length) return null;
  return { etherType, offset };
}

function ethernet(data: Uint8Array): NetworkLayerLocation | null {
  if (data.length < ETHERNET_HEADER_LENGTH) return null;
  try {
    const h = decodeEthernet(data, 0);
    return ipAt(data, h.etherType, h.headerLength);
  } catch (e) {
    // A VLAN tag cut by the snapshot length: no network layer to find.
    if (e instanceof WireError) return null;
    throw e;
  }
}

/** Linux cooked capture: the protocol field is an EtherType, possibly followed by VLAN tags the kernel left in place. */
function cooked(data: Uint8Array, typeOffset: number, headerLength: number): NetworkLayerLocation | null {
  if (data.length < headerLength) return null;
  let type = (data[typeOffset] << 8) | data[typeOffset + 1];
  let at = headerLength;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_LEGACY) {
    // Each tag: TCI (2 bytes) then the next EtherType (2 bytes).
    if (at + 4 > data.length) return null;
    type = (data[at + 2] << 8) | data[at + 3];
    at += 4;
  }
  return ipAt(data, type, at);
}

/** BSD loopback: address family 2 is IPv4; 24, 28 and 30 are IPv6 (NetBSD/OpenBSD, FreeBSD, Darwin). */
function loopback(data: Uint8Array, networkOrder: boolean): NetworkLayerLocation | null {
  if (data.length < 4) return null;
  const be = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
  const le = ((data[3] << 24) | (data[2] << 16) | (data[1] << 8) | data[0]) >>> 0;
  // LINKTYPE_NULL is in the writer's host order, which the file does not record: accept either.
  const family = networkOrder ? be : be < 0x10000 ? be : le;
  if (family === 2) return ipAt(data, ETHERTYPE_IPV4, 4);
  if (family === 24 || family === 28 || family === 30) return ipAt(data, ETHERTYPE_IPV6, 4);
  return null;
}

/**
 * Locates the IPv4 or IPv6 header in a captured packet of link type `linkType`: Ethernet (1, walking 802.1Q/802.1ad
 * tags), raw IP (101, 12, 14, 228, 229; by the version nibble), BSD loopback (0, 108), Linux cooked capture v1 (113)
 * and v2 (276). Returns null for other link types, for non-IP packets, and when the packet ends before the first byte of
 * the network header (e.g. cut by the snapshot length). Never throws.
 */
export function locateNetworkLayer(linkType: number, data: Uint8Array): NetworkLayerLocation | null {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return ethernet(data);
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
      return byVersion(data, 0);
    case LINKTYPE_IPV4:
      return ipAt(data, ETHERTYPE_IPV4, 0);
    case LINKTYPE_IPV6:
      return ipAt(data, ETHERTYPE_IPV6, 0);
    case LINKTYPE_LINUX_SLL:
      // Packet type, ARPHRD type, address length, 8 address bytes, then the protocol.
      return cooked(data, 14, SLL_HEADER_LENGTH);
    case LINKTYPE_LINUX_SLL2:
      // The protocol comes first, then reserved, ifindex, ARPHRD type, packet type, address length and address.
      return cooked(data, 0, SLL2_HEADER_LENGTH);
    case LINKTYPE_NULL:
      return loopback(data, false);
    case LINKTYPE_LOOP:
      return loopback(data, true);
    default:
      return null;
  }
}
