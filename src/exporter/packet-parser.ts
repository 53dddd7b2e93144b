/**
 * Captured packet → the flow key and counters a NetFlow v5/v8 exporter needs, written into one reusable
 * {@link PacketInfo} scratch object (no allocation per packet on the Ethernet and raw-IP fast paths). Implements the
 * record fields of spec/cflowd-v5-format.txt Table 16 that come from the packet: addresses, ports (ICMP type and code
 * in the destination port), protocol, ToS, TCP flags and the layer-3 byte count; plus the input/output SNMP ifIndex
 * from the packet source's interface mapping.
 *
 * Facts and choices:
 * - **Bytes counted** are the IPv4 header's total length (the layer-3 datagram, as Junos and Cisco count `dOctets`).
 *   softflowd counts the pcap wire length minus the link header instead, which adds Ethernet padding to short frames
 *   (a 40-byte TCP ACK counts 46 there, 40 here). A total length of 0 (segmentation offload on the capturing host)
 *   falls back to the wire length minus the link header.
 * - **Fragments**: the first fragment (offset 0, MF set) carries the transport header and is keyed by its ports; later
 *   fragments have no transport header and are keyed with ports 0 and no TCP flags (as softflowd and routers do), so a
 *   fragmented datagram counts in two flows.
 * - **IPv6** packets are counted and skipped (NetFlow v5 and v8 carry IPv4 only).
 * - A transport header cut short by the capture's snapshot length is counted (`truncatedTransport`; a short first
 *   fragment is not) and the packet is still accounted with the fields that are present (ports 0 when the ports are
 *   missing), as softflowd does.
 * - Nothing here throws on packet contents: every packet ends in one verdict and one counter.
 */
import { captureTimeMs } from "./capture-time.ts";
import type { CapturedPacket } from "../wire/capture-parser.ts";
import { locateNetworkLayer } from "../wire/capture-link.ts";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "../wire/ethernet.ts";
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from "../wire/ipv4.ts";
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from "../wire/pcap-writer.ts";
import { RuntimeError } from "../runtime/errors.ts";

/** The flow-relevant fields of one IPv4 packet. One instance is reused for every packet a parser reads. */
export interface PacketInfo {
  /** Source IPv4 address, uint32. */
  srcAddr: number;
  /** Destination IPv4 address, uint32. */
  dstAddr: number;
  /** IP protocol number, 0..255. */
  prot: number;
  /** TCP/UDP source port; 0 for ICMP, other protocols and non-first fragments. */
  srcPort: number;
  /** TCP/UDP destination port; ICMP type << 8 | code (spec Table 16); 0 for non-first fragments. */
  dstPort: number;
  /** TCP flags byte of this segment (0 when not TCP or not present). */
  tcpFlags: number;
  /** IP ToS / DS field byte. */
  tos: number;
  /** Layer-3 bytes counted for this packet: the IPv4 total length. */
  ipLength: number;
  /** Capture time, epoch milliseconds (whole ms). */
  timestampMs: number;
  /** SNMP ifIndex of the input interface, 0..65535. */
  input: number;
  /** SNMP ifIndex of the output interface, 0..65535. */
  output: number;
  /** Whether the packet is an IPv4 fragment (first or later). */
  fragment: boolean;
}

/** What {@link PacketParser.parse} made of a packet. */
export const PacketVerdict = {
  /** An IPv4 packet: {@link PacketParser.info} holds it. */
  IPV4: 0,
  /** An IPv6 packet: counted, not exported. */
  IPV6: 1,
  /** Not IP (ARP, LLDP, unknown link type...). */
  NON_IP: 2,
  /** IPv4 with a bad or truncated header. */
  MALFORMED: 3,
} as const;

/** One of the {@link PacketVerdict} values. */
export type PacketVerdict = (typeof PacketVerdict)[keyof typeof PacketVerdict];

/** Counters of a {@link PacketParser}; every packet lands in exactly one of ipv4, ipv6, nonIp and malformed. */
export interface PacketParserCounters {
  /** Packets given to the parser. */
  packets: number;
  /** IPv4 packets parsed (including fragments). */
  ipv4: number;
  /** IPv6 packets skipped. */
  ipv6: number;
  /** Packets without an IP layer. */
  nonIp: number;
  /** IPv4 packets with a bad version, header length or total length, or a header cut short. */
  malformed: number;
  /** IPv4 fragments among `ipv4` (first and later). */
  fragments: number;
  /** IPv4 packets among `ipv4` whose transport header was cut short by the capture. */
  truncatedTransport: number;
}

/** The interface → SNMP ifIndex mapping of a packet source. */
export interface PacketParserOptions {
  /**
   * Input ifIndex per capture interface id (pcapng interface id; 0 for classic pcap): `inputIfIndex[interfaceId]`.
   * Ids not listed get `defaultInput`.
   */
  inputIfIndex?: readonly number[];
  /** Input ifIndex of packets whose interface has no entry (default 0). */
  defaultInput?: number;
  /** Output ifIndex written into every packet (default 0); a capture does not show where a router forwarded it. */
  output?: number;
}

/** Thrown by the {@link PacketParser} constructor for an ifIndex outside 0..65535. Code `ERR_EXPORTER_IFINDEX`. */
export class IfIndexError extends RuntimeError {
  constructor(what: string, value: number) {
    super("ERR_EXPORTER_IFINDEX", `${what} ${value} is not an SNMP ifIndex in 0..65535 (NetFlow v5 carries 16 bits)`);
  }
}

const NO_IP = -1;
const IS_IPV6 = -2;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_LEGACY = 0x9100;
const LINKTYPE_IPV4 = 228;

function checkIfIndex(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new IfIndexError(what, v);
  return v;
}

/** Offset of the IPv4 header in an Ethernet frame (any number of VLAN tags), or NO_IP / IS_IPV6. */
function ethernetIp(b: Uint8Array): number {
  let at = 12;
  let type = 0;
  for (;;) {
    if (at + 2 > b.length) return NO_IP;
    type = (b[at] << 8) | b[at + 1];
    if (type !== ETHERTYPE_VLAN && type !== ETHERTYPE_QINQ && type !== ETHERTYPE_QINQ_LEGACY) break;
    at += 4;
  }
  // As the shared locator: an IP EtherType with no byte after it is no IP packet.
  if (at + 2 >= b.length) return NO_IP;
  if (type === ETHERTYPE_IPV4) return at + 2;
  return type === ETHERTYPE_IPV6 ? IS_IPV6 : NO_IP;
}

/** Offset of the IPv4 header of a packet of link type `linkType`, or NO_IP / IS_IPV6. */
function ipv4Offset(linkType: number, b: Uint8Array): number {
  if (linkType === LINKTYPE_ETHERNET) return ethernetIp(b);
  if (linkType === LINKTYPE_IPV4) return b.length === 0 ? NO_IP : 0;
  if (linkType === LINKTYPE_RAW) {
    if (b.length === 0) return NO_IP;
    const version = b[0] >>> 4;
    return version === 4 ? 0 : version === 6 ? IS_IPV6 : NO_IP;
  }
  // Rarer link types (cooked capture, loopback...): the shared locator, which allocates its small answer.
  const where = locateNetworkLayer(linkType, b);
  if (where === null) return NO_IP;
  return where.etherType === ETHERTYPE_IPV4 ? where.offset : IS_IPV6;
}

/**
 * Parses captured packets into a reused {@link PacketInfo}. Usage: `if (parser.parse(p) === PacketVerdict.IPV4)
 * use(parser.info)`; the info is overwritten by the next call. Never throws on packet contents.
 */
export class PacketParser {
  /** The last IPv4 packet parsed (valid only after a {@link PacketVerdict.IPV4} verdict, until the next call). */
  readonly info: PacketInfo = {
    srcAddr: 0,
    dstAddr: 0,
    prot: 0,
    srcPort: 0,
    dstPort: 0,
    tcpFlags: 0,
    tos: 0,
    ipLength: 0,
    timestampMs: 0,
    input: 0,
    output: 0,
    fragment: false,
  };
  /** Running counters. */
  readonly counters: PacketParserCounters = {
    packets: 0,
    ipv4: 0,
    ipv6: 0,
    nonIp: 0,
    malformed: 0,
    fragments: 0,
    truncatedTransport: 0,
  };
  readonly #inputs: readonly number[];
  readonly #defaultInput: number;
  readonly #output: number;

  /** @throws IfIndexError `ERR_EXPORTER_IFINDEX` for an ifIndex outside 0..65535. */
  constructor(options: PacketParserOptions = {}) {
    this.#inputs = (options.inputIfIndex ?? []).map((v, i) => checkIfIndex(`inputIfIndex[${i}]`, v));
    this.#defaultInput = checkIfIndex("defaultInput", options.defaultInput ?? 0);
    this.#output = checkIfIndex("output", options.output ?? 0);
    this.info.output = this.#output;
  }

  /** Parses one captured packet (timestamp converted to whole epoch milliseconds). */
  parse(packet: CapturedPacket): PacketVerdict {
    return this.parseFrame(
      packet.linkType,
      packet.data,
      captureTimeMs(packet.timestampNs),
      packet.interfaceId,
      packet.origLen,
    );
  }

  /**
   * Parses one frame of link type `linkType` captured at `timestampMs` (epoch ms) on capture interface
   * `interfaceId`; `wireLength` is the frame's length on the wire (default: the captured length).
   */
  parseFrame(linkType: number, data: Uint8Array, timestampMs: number, interfaceId = 0, wireLength = -1): PacketVerdict {
    const c = this.counters;
    c.packets++;
    const at = ipv4Offset(linkType, data);
    if (at === IS_IPV6) {
      c.ipv6++;
      return PacketVerdict.IPV6;
    }
    if (at === NO_IP) {
      c.nonIp++;
      return PacketVerdict.NON_IP;
    }
    const verdict = this.#ipv4(data, at, wireLength < 0 ? data.length - at : wireLength - at);
    if (verdict !== PacketVerdict.IPV4) {
      c.malformed++;
      return verdict;
    }
    c.ipv4++;
    const info = this.info;
    info.timestampMs = timestampMs;
    const mapped = this.#inputs[interfaceId];
    info.input = mapped === undefined ? this.#defaultInput : mapped;
    info.output = this.#output;
    return PacketVerdict.IPV4;
  }

  /** Reads the IPv4 header at `o` and the transport fields after it into `info`. */
  #ipv4(b: Uint8Array, o: number, l3WireLength: number): PacketVerdict {
    if (o + 20 > b.length) return PacketVerdict.MALFORMED;
    const vihl = b[o];
    const ihl = (vihl & 0x0f) * 4;
    if (vihl >>> 4 !== 4 || ihl < 20 || o + ihl > b.length) return PacketVerdict.MALFORMED;
    let totalLength = (b[o + 2] << 8) | b[o + 3];
    if (totalLength === 0) totalLength = l3WireLength;
    if (totalLength < ihl) return PacketVerdict.MALFORMED;
    const info = this.info;
    info.tos = b[o + 1];
    info.prot = b[o + 9];
    info.srcAddr = ((b[o + 12] << 24) | (b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15]) >>> 0;
    info.dstAddr = ((b[o + 16] << 24) | (b[o + 17] << 16) | (b[o + 18] << 8) | b[o + 19]) >>> 0;
    info.ipLength = totalLength;
    info.srcPort = 0;
    info.dstPort = 0;
    info.tcpFlags = 0;
    const fragField = (b[o + 6] << 8) | b[o + 7];
    const fragOffset = fragField & 0x1fff;
    info.fragment = fragOffset !== 0 || (fragField & 0x2000) !== 0;
    if (info.fragment) this.counters.fragments++;
    // Later fragments carry no transport header.
    if (fragOffset === 0) this.#transport(b, o + ihl, Math.min(b.length, o + totalLength), info.prot);
    return PacketVerdict.IPV4;
  }

  /** Transport fields from `[t, end)`; counts a header cut short. */
  #transport(b: Uint8Array, t: number, end: number, prot: number): void {
    const avail = end - t;
    const info = this.info;
    if (prot === IPPROTO_TCP || prot === IPPROTO_UDP) {
      if (avail >= 4) {
        info.srcPort = (b[t] << 8) | b[t + 1];
        info.dstPort = (b[t + 2] << 8) | b[t + 3];
      }
      if (prot === IPPROTO_TCP) {
        if (avail >= 14) info.tcpFlags = b[t + 13];
        else if (!info.fragment) this.counters.truncatedTransport++;
      } else if (avail < 8 && !info.fragment) this.counters.truncatedTransport++;
    } else if (prot === IPPROTO_ICMP) {
      // spec Table 16: ICMP type in the high byte, code in the low byte of the destination port.
      if (avail >= 2) info.dstPort = (b[t] << 8) | b[t + 1];
      if (avail < 4 && !info.fragment) this.counters.truncatedTransport++;
    }
  }
}
