/**
 * The IANA "Assigned Internet Protocol Numbers" registry (https://www.iana.org/assignments/protocol-numbers): the 8-bit
 * IPv4 Protocol / IPv6 Next Header values and their keywords, as operators read them next to numbers (DESIGN.md,
 * "Operator conventions"; flow-collector.txt Table 2 `protocol`, cflowd-v5-format.txt Table 16 `IP protocol`).
 *
 * Keywords are the registry's in lower case, spelled as /etc/protocols spells them where the registry's keyword is not a
 * single token (`isis` for "ISIS over IPv4", `mobility-header`, `argus` for "ARGUS (deprecated)") and `ospf` for
 * OSPFIGP. The registry's other spellings and the common /etc/protocols names are accepted as aliases when parsing.
 */
import { InvalidFieldError } from "./errors.ts";

/** One row of the registry. */
export interface IanaProtocol {
  /** Protocol number, 0-255. */
  readonly number: number;
  /** Lower-case keyword, or `undefined` where the registry assigns none (61, 63, 68, 99, 114, 253, 254). */
  readonly keyword: string | undefined;
  /** Other names accepted by {@link protocolNumber} (lower case). */
  readonly aliases: readonly string[];
  /** The registry's description of the protocol. */
  readonly description: string;
}

// [number, keyword ("" = none), description, aliases separated by spaces]
type Row = readonly [number, string, string, string?];

const ROWS: readonly Row[] = [
  [0, "hopopt", "IPv6 Hop-by-Hop Option", "ip"],
  [1, "icmp", "Internet Control Message"],
  [2, "igmp", "Internet Group Management"],
  [3, "ggp", "Gateway-to-Gateway"],
  [4, "ipv4", "IPv4 encapsulation", "ipencap ip-encap"],
  [5, "st", "Stream"],
  [6, "tcp", "Transmission Control"],
  [7, "cbt", "CBT"],
  [8, "egp", "Exterior Gateway Protocol"],
  [9, "igp", "any private interior gateway (used by Cisco for their IGRP)"],
  [10, "bbn-rcc-mon", "BBN RCC Monitoring"],
  [11, "nvp-ii", "Network Voice Protocol"],
  [12, "pup", "PUP"],
  [13, "argus", "ARGUS (deprecated)"],
  [14, "emcon", "EMCON"],
  [15, "xnet", "Cross Net Debugger"],
  [16, "chaos", "Chaos"],
  [17, "udp", "User Datagram"],
  [18, "mux", "Multiplexing"],
  [19, "dcn-meas", "DCN Measurement Subsystems"],
  [20, "hmp", "Host Monitoring"],
  [21, "prm", "Packet Radio Measurement"],
  [22, "xns-idp", "XEROX NS IDP"],
  [23, "trunk-1", "Trunk-1"],
  [24, "trunk-2", "Trunk-2"],
  [25, "leaf-1", "Leaf-1"],
  [26, "leaf-2", "Leaf-2"],
  [27, "rdp", "Reliable Data Protocol"],
  [28, "irtp", "Internet Reliable Transaction"],
  [29, "iso-tp4", "ISO Transport Protocol Class 4"],
  [30, "netblt", "Bulk Data Transfer Protocol"],
  [31, "mfe-nsp", "MFE Network Services Protocol"],
  [32, "merit-inp", "MERIT Internodal Protocol"],
  [33, "dccp", "Datagram Congestion Control Protocol"],
  [34, "3pc", "Third Party Connect Protocol"],
  [35, "idpr", "Inter-Domain Policy Routing Protocol"],
  [36, "xtp", "XTP"],
  [37, "ddp", "Datagram Delivery Protocol"],
  [38, "idpr-cmtp", "IDPR Control Message Transport Proto"],
  [39, "tp++", "TP++ Transport Protocol"],
  [40, "il", "IL Transport Protocol"],
  [41, "ipv6", "IPv6 encapsulation"],
  [42, "sdrp", "Source Demand Routing Protocol"],
  [43, "ipv6-route", "Routing Header for IPv6"],
  [44, "ipv6-frag", "Fragment Header for IPv6"],
  [45, "idrp", "Inter-Domain Routing Protocol"],
  [46, "rsvp", "Reservation Protocol"],
  [47, "gre", "Generic Routing Encapsulation"],
  [48, "dsr", "Dynamic Source Routing Protocol"],
  [49, "bna", "BNA"],
  [50, "esp", "Encap Security Payload", "ipsec-esp"],
  [51, "ah", "Authentication Header", "ipsec-ah"],
  [52, "i-nlsp", "Integrated Net Layer Security TUBA"],
  [53, "swipe", "IP with Encryption (deprecated)"],
  [54, "narp", "NBMA Address Resolution Protocol"],
  [55, "min-ipv4", "Minimal IPv4 Encapsulation", "mobile"],
  [56, "tlsp", "Transport Layer Security Protocol using Kryptonet key management"],
  [57, "skip", "SKIP"],
  [58, "ipv6-icmp", "ICMP for IPv6"],
  [59, "ipv6-nonxt", "No Next Header for IPv6"],
  [60, "ipv6-opts", "Destination Options for IPv6"],
  [61, "", "any host internal protocol"],
  [62, "cftp", "CFTP"],
  [63, "", "any local network"],
  [64, "sat-expak", "SATNET and Backroom EXPAK"],
  [65, "kryptolan", "Kryptolan"],
  [66, "rvd", "MIT Remote Virtual Disk Protocol"],
  [67, "ippc", "Internet Pluribus Packet Core"],
  [68, "", "any distributed file system"],
  [69, "sat-mon", "SATNET Monitoring"],
  [70, "visa", "VISA Protocol"],
  [71, "ipcv", "Internet Packet Core Utility"],
  [72, "cpnx", "Computer Protocol Network Executive"],
  [73, "cphb", "Computer Protocol Heart Beat", "rspf"],
  [74, "wsn", "Wang Span Network"],
  [75, "pvp", "Packet Video Protocol"],
  [76, "br-sat-mon", "Backroom SATNET Monitoring"],
  [77, "sun-nd", "SUN ND PROTOCOL-Temporary"],
  [78, "wb-mon", "WIDEBAND Monitoring"],
  [79, "wb-expak", "WIDEBAND EXPAK"],
  [80, "iso-ip", "ISO Internet Protocol"],
  [81, "vmtp", "VMTP"],
  [82, "secure-vmtp", "SECURE-VMTP"],
  [83, "vines", "VINES"],
  [84, "ttp", "Transaction Transport Protocol / Internet Protocol Traffic Manager", "iptm"],
  [85, "nsfnet-igp", "NSFNET-IGP"],
  [86, "dgp", "Dissimilar Gateway Protocol"],
  [87, "tcf", "TCF"],
  [88, "eigrp", "EIGRP"],
  [89, "ospf", "OSPFIGP", "ospfigp"],
  [90, "sprite-rpc", "Sprite RPC Protocol"],
  [91, "larp", "Locus Address Resolution Protocol"],
  [92, "mtp", "Multicast Transport Protocol"],
  [93, "ax.25", "AX.25 Frames"],
  [94, "ipip", "IP-within-IP Encapsulation Protocol"],
  [95, "micp", "Mobile Internetworking Control Pro. (deprecated)"],
  [96, "scc-sp", "Semaphore Communications Sec. Pro."],
  [97, "etherip", "Ethernet-within-IP Encapsulation"],
  [98, "encap", "Encapsulation Header"],
  [99, "", "any private encryption scheme"],
  [100, "gmtp", "GMTP"],
  [101, "ifmp", "Ipsilon Flow Management Protocol"],
  [102, "pnni", "PNNI over IP"],
  [103, "pim", "Protocol Independent Multicast"],
  [104, "aris", "ARIS"],
  [105, "scps", "SCPS"],
  [106, "qnx", "QNX"],
  [107, "a/n", "Active Networks"],
  [108, "ipcomp", "IP Payload Compression Protocol"],
  [109, "snp", "Sitara Networks Protocol"],
  [110, "compaq-peer", "Compaq Peer Protocol"],
  [111, "ipx-in-ip", "IPX in IP"],
  [112, "vrrp", "Virtual Router Redundancy Protocol"],
  [113, "pgm", "PGM Reliable Transport Protocol"],
  [114, "", "any 0-hop protocol"],
  [115, "l2tp", "Layer Two Tunneling Protocol"],
  [116, "ddx", "D-II Data Exchange (DDX)"],
  [117, "iatp", "Interactive Agent Transfer Protocol"],
  [118, "stp", "Schedule Transfer Protocol"],
  [119, "srp", "SpectraLink Radio Protocol"],
  [120, "uti", "UTI"],
  [121, "smp", "Simple Message Protocol"],
  [122, "sm", "Simple Multicast Protocol (deprecated)"],
  [123, "ptp", "Performance Transparency Protocol"],
  [124, "isis", "ISIS over IPv4"],
  [125, "fire", "FIRE"],
  [126, "crtp", "Combat Radio Transport Protocol"],
  [127, "crudp", "Combat Radio User Datagram"],
  [128, "sscopmce", "SSCOPMCE"],
  [129, "iplt", "IPLT"],
  [130, "sps", "Secure Packet Shield"],
  [131, "pipe", "Private IP Encapsulation within IP"],
  [132, "sctp", "Stream Control Transmission Protocol"],
  [133, "fc", "Fibre Channel"],
  [134, "rsvp-e2e-ignore", "RSVP-E2E-IGNORE"],
  [135, "mobility-header", "Mobility Header"],
  [136, "udplite", "UDP-Lite"],
  [137, "mpls-in-ip", "MPLS-in-IP"],
  [138, "manet", "MANET Protocols"],
  [139, "hip", "Host Identity Protocol"],
  [140, "shim6", "Shim6 Protocol"],
  [141, "wesp", "Wrapped Encapsulating Security Payload"],
  [142, "rohc", "Robust Header Compression"],
  [143, "ethernet", "Ethernet"],
  [144, "aggfrag", "AGGFRAG encapsulation payload for ESP"],
  [145, "nsh", "Network Service Header"],
  [146, "homa", "Homa"],
  [253, "", "Use for experimentation and testing"],
  [254, "", "Use for experimentation and testing"],
  [255, "reserved", "Reserved"],
];

/** Every assigned row of the registry, in number order (147-252 are unassigned and absent). */
export const IANA_PROTOCOLS: readonly IanaProtocol[] = ROWS.map(
  ([number, keyword, description, aliases]): IanaProtocol => ({
    number,
    keyword: keyword === "" ? undefined : keyword,
    aliases: aliases === undefined ? [] : aliases.split(" "),
    description,
  }),
);

const NAMES: string[] = [];
const NUMBERS = new Map<string, number>();
const ROW_BY_NUMBER: (IanaProtocol | undefined)[] = new Array(256).fill(undefined);
for (let n = 0; n < 256; n++) NAMES.push(String(n));
for (const p of IANA_PROTOCOLS) {
  ROW_BY_NUMBER[p.number] = p;
  if (p.keyword !== undefined) {
    NAMES[p.number] = p.keyword;
    NUMBERS.set(p.keyword, p.number);
  }
}
for (const p of IANA_PROTOCOLS) for (const a of p.aliases) if (!NUMBERS.has(a)) NUMBERS.set(a, p.number);

/** Registry row of a protocol number, or `undefined` for an unassigned or out-of-range number. */
export function ianaProtocol(n: number): IanaProtocol | undefined {
  return Number.isInteger(n) && n >= 0 && n <= 255 ? ROW_BY_NUMBER[n] : undefined;
}

/**
 * Keyword of protocol number `n` (`6` → `"tcp"`); the number as decimal text when the registry gives it no keyword
 * (`253` → `"253"`, `200` → `"200"`) or when it is not an integer 0-255.
 */
export function protocolName(n: number): string {
  return Number.isInteger(n) && n >= 0 && n <= 255 ? NAMES[n] : String(n);
}

const DECIMAL = /^\d{1,3}$/;

/**
 * Protocol number of a keyword or alias, case-insensitive (`"TCP"` → 6, `"ospfigp"` → 89); decimal digits are taken
 * as the number itself (`"17"` → 17). Returns `undefined` for an unknown name or a number above 255.
 */
export function protocolNumber(keyword: string): number | undefined {
  if (DECIMAL.test(keyword)) {
    const n = Number(keyword);
    return n <= 255 ? n : undefined;
  }
  return NUMBERS.get(keyword.toLowerCase());
}

/**
 * Like {@link protocolNumber} but throws for text that is neither a known name nor a number 0-255.
 * @param offset character offset of `text` in the caller's input, reported in the error.
 * @throws InvalidFieldError `ERR_PROTOCOL_UNKNOWN`.
 */
export function parseProtocol(text: string, offset = 0): number {
  const n = protocolNumber(text);
  if (n === undefined) {
    throw new InvalidFieldError("ERR_PROTOCOL_UNKNOWN", `unknown IP protocol: ${JSON.stringify(text)}`, offset);
  }
  return n;
}
