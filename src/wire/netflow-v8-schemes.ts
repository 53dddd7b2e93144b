/**
 * The record layouts of the 14 NetFlow version 8 aggregation schemes (router-based aggregation; Juniper's cflowd
 * `aggregation` statement in spec/cflowd-flow-aggregation.txt exports schemes 1 to 5). Every layout is a table of
 * fields (name, byte offset in the record, size) that the encoder in `netflow-v8.ts` writes from, the specialised
 * readers in `netflow-v8-readers.ts` are tested against, and docs/netflow-v8.md lists. All fields are unsigned
 * big-endian integers; addresses and prefixes are uint32 IPv4 addresses; `first`/`last` are sysUptime milliseconds.
 *
 * Sources: Cisco's version 8 export format as flow-tools lays it out (`lib/ftlib.h`, `struct ftpdu_v8_1` to `_14`),
 * and Wireshark's cflow dissector (`packet-netflow.c`, `dissect_v8_aggpdu`/`dissect_v8_flowpdu`). Where they
 * disagree there is an option or a documented choice:
 *
 * - **Mask order of schemes 5, 13 and 14.** Juniper documents two orders: by default it follows the cflowd
 *   Configuration Guide (CAIDA, 1999); with `caida-compliant` it matches cflowd 2.1b1, which puts the destination mask
 *   first, as flow-tools does. Wireshark reads the source mask first (the `default` order). Chosen per call with
 *   {@link NetflowV8MaskOrder}.
 * - **Scheme 9 (AS-ToS).** flow-tools puts input/output right after the AS pair (then tos, pad, reserved), which
 *   flowlens follows; Wireshark reads tos, pad, reserved after the AS pair and the interfaces last, so it shows this
 *   scheme's tos and interfaces from other bytes.
 */

/**
 * Which mask byte comes first in schemes 5, 13 and 14: `default` = source mask first (cflowd Configuration Guide,
 * 1999; Junos without `caida-compliant`; Wireshark), `caida` = destination mask first (cflowd 2.1b1; Junos
 * `caida-compliant`; flow-tools).
 */
export type NetflowV8MaskOrder = "default" | "caida";

/** The aggregation scheme numbers, spelled as Cisco names the aggregation caches. */
export const NetflowV8Aggregation = {
  AS: 1,
  PROTOCOL_PORT: 2,
  SOURCE_PREFIX: 3,
  DESTINATION_PREFIX: 4,
  PREFIX: 5,
  DESTINATION_ONLY: 6,
  SOURCE_DESTINATION: 7,
  FULL_FLOW: 8,
  AS_TOS: 9,
  PROTOCOL_PORT_TOS: 10,
  SOURCE_PREFIX_TOS: 11,
  DESTINATION_PREFIX_TOS: 12,
  PREFIX_TOS: 13,
  PREFIX_PORT: 14,
} as const;

/** Counters and times that start every router aggregation record (all schemes but the Catalyst ones, 6 to 8). */
export interface NetflowV8AggregateCounters {
  /** Flows aggregated into this record, uint32. */
  dFlows: number;
  /** Packets, uint32. */
  dPkts: number;
  /** Layer-3 bytes, uint32. */
  dOctets: number;
  /** sysUptime (ms) at the first packet of the aggregated flows, uint32. */
  first: number;
  /** sysUptime (ms) at the last packet, uint32. */
  last: number;
}

/** Counters of a Catalyst (MLS) flow record, schemes 6 to 8: no flow count, plus policing fields. */
export interface NetflowV8CatalystCounters {
  /** Destination IPv4 address. */
  dstAddr: number;
  /** Packets, uint32. */
  dPkts: number;
  /** Layer-3 bytes, uint32. */
  dOctets: number;
  /** sysUptime (ms) at the first packet, uint32. */
  first: number;
  /** sysUptime (ms) at the last packet, uint32. */
  last: number;
  /** Output ifIndex, uint16. */
  output: number;
  /** IP type of service, uint8. */
  tos: number;
  /** ToS of the packets that exceeded the contract, uint8. */
  markedTos: number;
  /** Packets that exceeded the contract, uint32. */
  extraPkts: number;
  /** IPv4 address of the router being shortcut. */
  routerSc: number;
}

/** Scheme 1, AS (28 bytes, at most 51 per datagram). */
export interface NetflowV8AsRecord extends NetflowV8AggregateCounters {
  srcAs: number;
  dstAs: number;
  input: number;
  output: number;
}

/** Scheme 2, protocol-port (28 bytes, at most 51). */
export interface NetflowV8ProtocolPortRecord extends NetflowV8AggregateCounters {
  prot: number;
  pad: number;
  reserved: number;
  srcPort: number;
  dstPort: number;
}

/** Scheme 3, source-prefix (32 bytes, at most 44). */
export interface NetflowV8SourcePrefixRecord extends NetflowV8AggregateCounters {
  srcPrefix: number;
  srcMask: number;
  pad: number;
  srcAs: number;
  input: number;
  reserved: number;
}

/** Scheme 4, destination-prefix (32 bytes, at most 44). */
export interface NetflowV8DestinationPrefixRecord extends NetflowV8AggregateCounters {
  dstPrefix: number;
  dstMask: number;
  pad: number;
  dstAs: number;
  output: number;
  reserved: number;
}

/** Scheme 5, prefix or source-destination-prefix (40 bytes, at most 35); mask order per {@link NetflowV8MaskOrder}. */
export interface NetflowV8PrefixRecord extends NetflowV8AggregateCounters {
  srcPrefix: number;
  dstPrefix: number;
  srcMask: number;
  dstMask: number;
  reserved: number;
  srcAs: number;
  dstAs: number;
  input: number;
  output: number;
}

/** Scheme 6, Catalyst destination-only (32 bytes, at most 44). */
export interface NetflowV8DestinationOnlyRecord extends NetflowV8CatalystCounters {}

/** Scheme 7, Catalyst source-destination (40 bytes, at most 35). */
export interface NetflowV8SourceDestinationRecord extends NetflowV8CatalystCounters {
  srcAddr: number;
  input: number;
  reserved: number;
}

/** Scheme 8, Catalyst full flow (44 bytes, at most 32). */
export interface NetflowV8FullFlowRecord extends NetflowV8CatalystCounters {
  srcAddr: number;
  dstPort: number;
  srcPort: number;
  input: number;
  prot: number;
  reserved: number;
}

/** Scheme 9, AS-ToS (32 bytes, at most 44); Cisco layout (Wireshark differs, see the module comment). */
export interface NetflowV8AsTosRecord extends NetflowV8AsRecord {
  tos: number;
  pad: number;
  reserved: number;
}

/** Scheme 10, protocol-port-ToS (32 bytes, at most 44). */
export interface NetflowV8ProtocolPortTosRecord extends NetflowV8AggregateCounters {
  prot: number;
  tos: number;
  reserved: number;
  srcPort: number;
  dstPort: number;
  input: number;
  output: number;
}

/** Scheme 11, source-prefix-ToS (32 bytes, at most 44). */
export interface NetflowV8SourcePrefixTosRecord extends NetflowV8AggregateCounters {
  srcPrefix: number;
  srcMask: number;
  tos: number;
  srcAs: number;
  input: number;
  reserved: number;
}

/** Scheme 12, destination-prefix-ToS (32 bytes, at most 44). */
export interface NetflowV8DestinationPrefixTosRecord extends NetflowV8AggregateCounters {
  dstPrefix: number;
  dstMask: number;
  tos: number;
  dstAs: number;
  output: number;
  reserved: number;
}

/** Scheme 13, prefix-ToS (40 bytes, at most 35); mask order per {@link NetflowV8MaskOrder}. */
export interface NetflowV8PrefixTosRecord extends NetflowV8AggregateCounters {
  srcPrefix: number;
  dstPrefix: number;
  srcMask: number;
  dstMask: number;
  tos: number;
  pad: number;
  srcAs: number;
  dstAs: number;
  input: number;
  output: number;
}

/** Scheme 14, prefix-port (40 bytes, at most 35); mask order per {@link NetflowV8MaskOrder}. */
export interface NetflowV8PrefixPortRecord extends NetflowV8AggregateCounters {
  srcPrefix: number;
  dstPrefix: number;
  srcMask: number;
  dstMask: number;
  tos: number;
  prot: number;
  srcPort: number;
  dstPort: number;
  input: number;
  output: number;
}

/** The record type of each aggregation scheme number. */
export interface NetflowV8RecordMap {
  1: NetflowV8AsRecord;
  2: NetflowV8ProtocolPortRecord;
  3: NetflowV8SourcePrefixRecord;
  4: NetflowV8DestinationPrefixRecord;
  5: NetflowV8PrefixRecord;
  6: NetflowV8DestinationOnlyRecord;
  7: NetflowV8SourceDestinationRecord;
  8: NetflowV8FullFlowRecord;
  9: NetflowV8AsTosRecord;
  10: NetflowV8ProtocolPortTosRecord;
  11: NetflowV8SourcePrefixTosRecord;
  12: NetflowV8DestinationPrefixTosRecord;
  13: NetflowV8PrefixTosRecord;
  14: NetflowV8PrefixPortRecord;
}

/** An aggregation scheme number, 1..14. */
export type NetflowV8Scheme = keyof NetflowV8RecordMap;

/** A record of any scheme. */
export type NetflowV8Record = NetflowV8RecordMap[NetflowV8Scheme];

/** One field of a record layout: its name, byte offset within the record and size in bytes (unsigned big-endian). */
export interface NetflowV8Field {
  readonly name: string;
  readonly offset: number;
  readonly size: 1 | 2 | 4;
}

/** The layout of one aggregation scheme. */
export interface NetflowV8SchemeLayout {
  /** Scheme number (the header's `aggregation` byte). */
  readonly scheme: NetflowV8Scheme;
  /** Short name, e.g. `prefix-tos`. */
  readonly name: string;
  /** Record length, bytes. */
  readonly recordLength: number;
  /** Most records one datagram may carry. */
  readonly maxRecords: number;
  /** Whether the layout has the two mask bytes whose order {@link NetflowV8MaskOrder} chooses. */
  readonly hasMaskOrder: boolean;
  /** Fields with the `default` mask order, in the order decoded objects list them. */
  readonly fields: readonly NetflowV8Field[];
  /** Fields with the `caida` mask order (the same table when `hasMaskOrder` is false). */
  readonly caidaFields: readonly NetflowV8Field[];
}

type Spec = readonly (readonly [name: string, size: 1 | 2 | 4])[];

const COUNTERS: Spec = [
  ["dFlows", 4],
  ["dPkts", 4],
  ["dOctets", 4],
  ["first", 4],
  ["last", 4],
];
const CATALYST_TIMES: Spec = [
  ["dPkts", 4],
  ["dOctets", 4],
  ["first", 4],
  ["last", 4],
];
const CATALYST_TAIL: Spec = [
  ["extraPkts", 4],
  ["routerSc", 4],
];
const PREFIXES: Spec = [
  ["srcPrefix", 4],
  ["dstPrefix", 4],
  ["srcMask", 1],
  ["dstMask", 1],
];

/** Wire-order field specs (sizes in bytes) of each scheme with the default mask order. */
const SPECS: Record<NetflowV8Scheme, readonly [name: string, length: number, maxRecords: number, fields: Spec]> = {
  1: ["as", 28, 51, [...COUNTERS, ["srcAs", 2], ["dstAs", 2], ["input", 2], ["output", 2]]],
  2: ["protocol-port", 28, 51, [...COUNTERS, ["prot", 1], ["pad", 1], ["reserved", 2], ["srcPort", 2], ["dstPort", 2]]],
  3: [
    "source-prefix",
    32,
    44,
    [...COUNTERS, ["srcPrefix", 4], ["srcMask", 1], ["pad", 1], ["srcAs", 2], ["input", 2], ["reserved", 2]],
  ],
  4: [
    "destination-prefix",
    32,
    44,
    [...COUNTERS, ["dstPrefix", 4], ["dstMask", 1], ["pad", 1], ["dstAs", 2], ["output", 2], ["reserved", 2]],
  ],
  5: [
    "prefix",
    40,
    35,
    [...COUNTERS, ...PREFIXES, ["reserved", 2], ["srcAs", 2], ["dstAs", 2], ["input", 2], ["output", 2]],
  ],
  6: [
    "destination-only",
    32,
    44,
    [["dstAddr", 4], ...CATALYST_TIMES, ["output", 2], ["tos", 1], ["markedTos", 1], ...CATALYST_TAIL],
  ],
  7: [
    "source-destination",
    40,
    35,
    [
      ["dstAddr", 4],
      ["srcAddr", 4],
      ...CATALYST_TIMES,
      ["output", 2],
      ["input", 2],
      ["tos", 1],
      ["markedTos", 1],
      ["reserved", 2],
      ...CATALYST_TAIL,
    ],
  ],
  8: [
    "full-flow",
    44,
    32,
    [
      ["dstAddr", 4],
      ["srcAddr", 4],
      ["dstPort", 2],
      ["srcPort", 2],
      ...CATALYST_TIMES,
      ["output", 2],
      ["input", 2],
      ["tos", 1],
      ["prot", 1],
      ["markedTos", 1],
      ["reserved", 1],
      ...CATALYST_TAIL,
    ],
  ],
  9: [
    "as-tos",
    32,
    44,
    [...COUNTERS, ["srcAs", 2], ["dstAs", 2], ["input", 2], ["output", 2], ["tos", 1], ["pad", 1], ["reserved", 2]],
  ],
  10: [
    "protocol-port-tos",
    32,
    44,
    [
      ...COUNTERS,
      ["prot", 1],
      ["tos", 1],
      ["reserved", 2],
      ["srcPort", 2],
      ["dstPort", 2],
      ["input", 2],
      ["output", 2],
    ],
  ],
  11: [
    "source-prefix-tos",
    32,
    44,
    [...COUNTERS, ["srcPrefix", 4], ["srcMask", 1], ["tos", 1], ["srcAs", 2], ["input", 2], ["reserved", 2]],
  ],
  12: [
    "destination-prefix-tos",
    32,
    44,
    [...COUNTERS, ["dstPrefix", 4], ["dstMask", 1], ["tos", 1], ["dstAs", 2], ["output", 2], ["reserved", 2]],
  ],
  13: [
    "prefix-tos",
    40,
    35,
    [...COUNTERS, ...PREFIXES, ["tos", 1], ["pad", 1], ["srcAs", 2], ["dstAs", 2], ["input", 2], ["output", 2]],
  ],
  14: [
    "prefix-port",
    40,
    35,
    [...COUNTERS, ...PREFIXES, ["tos", 1], ["prot", 1], ["srcPort", 2], ["dstPort", 2], ["input", 2], ["output", 2]],
  ],
};

function layoutOf(scheme: NetflowV8Scheme): NetflowV8SchemeLayout {
  const [name, recordLength, maxRecords, spec] = SPECS[scheme];
  let at = 0;
  const fields: NetflowV8Field[] = spec.map(([fieldName, size]) => {
    const f = { name: fieldName, offset: at, size };
    at += size;
    return Object.freeze(f);
  });
  if (at !== recordLength) throw new Error(`NetFlow v8 scheme ${scheme}: fields cover ${at} of ${recordLength} bytes`);
  const src = fields.find((f) => f.name === "srcMask");
  const dst = fields.find((f) => f.name === "dstMask");
  const hasMaskOrder = src !== undefined && dst !== undefined;
  // caida-compliant: the same two bytes, destination mask first.
  const caidaFields = hasMaskOrder
    ? fields.map((f) => (f === src ? { ...f, offset: dst.offset } : f === dst ? { ...f, offset: src.offset } : f))
    : fields;
  return Object.freeze({
    scheme,
    name,
    recordLength,
    maxRecords,
    hasMaskOrder,
    fields: Object.freeze(fields),
    caidaFields: Object.freeze(caidaFields.map((f) => Object.freeze(f))),
  });
}

/** Layout of every scheme, indexed by scheme number (index 0 unused). */
const LAYOUTS: readonly (NetflowV8SchemeLayout | undefined)[] = [
  undefined,
  ...Array.from({ length: 14 }, (_, i) => layoutOf((i + 1) as NetflowV8Scheme)),
];

/** All 14 scheme layouts in scheme order. */
export const NETFLOW_V8_SCHEMES: readonly NetflowV8SchemeLayout[] = Object.freeze(
  LAYOUTS.slice(1) as NetflowV8SchemeLayout[],
);

/** The layout of `scheme`, or undefined for a number that is not a scheme (0, 15..255). */
export function netflowV8Layout(scheme: number): NetflowV8SchemeLayout | undefined {
  return Number.isInteger(scheme) && scheme >= 1 && scheme <= 14 ? LAYOUTS[scheme] : undefined;
}

/** Whether `n` is an aggregation scheme number (1..14). */
export function isNetflowV8Scheme(n: number): n is NetflowV8Scheme {
  return netflowV8Layout(n) !== undefined;
}
