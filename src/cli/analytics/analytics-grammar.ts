/**
 * The grammar of the agent's operational commands (the CA API of compute-agent-api.txt, as Junos-style commands):
 *
 * ```
 * show analytics flows [active] [originator (NAME | all)] [terse | detail | extensive]
 * show analytics flow-path src A dst B [proto P] [sport S] [dport D] [originator NAME] [terse | detail | extensive]
 * show analytics tunnel-path src A dst B vnid N appsrc A appdst B [sport S] [originator NAME] [terse | detail | extensive]
 * request analytics start-flow src A dst B [proto P] [sport S] [dport D] COLLECTION... [originator NAME]
 * request analytics stop-flow src A dst B [proto P] [sport S] [dport D] [originator NAME]
 * request analytics start-tunnel src A dst B sport S vnid N appsrc A appdst B appsmac M appdmac M [dport D]
 *     COLLECTION... [originator NAME]
 * request analytics stop-tunnel src A dst B vnid N appsrc A appdst B [sport S] [originator NAME]
 *
 * COLLECTION: [sfreq SECONDS] [nhops N] [ntry N] [timeout MS] [chksum (true|false)] [bw-ingress (true|false)]
 *             [mirror-type ERSPAN mirror-dir (ingress|egress|both) mirror-analyzer ADDRESS]
 * ```
 *
 * Parameters come in any order after the path and abbreviate to a unique prefix (`sh an flow-p sr 10.1.1.1 ds ...`);
 * values are passed to the agent as typed, so the agent's own checks (docs/api.md, "Parameters") are the only ones.
 * `show analytics flows originator all` lists every Originator's traces (the agent's `GET /api/v1/traces`, a flowlens
 * extension), the way Junos says `logical-system all`.
 */
import { LEVEL, REQUEST, SHOW } from "../collector/collector-grammar.ts";
import type { CommandSpec, FlagParam, Keyword, Param, ValueParam } from "../junos/grammar.ts";

/** Command ids the runner dispatches on. */
export type AnalyticsCommandId =
  | "show-flows"
  | "show-flow-path"
  | "show-tunnel-path"
  | "start-flow"
  | "stop-flow"
  | "start-tunnel"
  | "stop-tunnel";

/** The keyword after the verb that selects these commands. */
export const ANALYTICS: Keyword = { word: "analytics", help: "Flow path analytics (the Compute Agent)" };

function value(key: string, help: string, valueName: string, valueHelp: string, words: Keyword[] = []): ValueParam {
  return { kind: "value", key, keyword: { word: key, help }, valueName, valueHelp, valueKeywords: words };
}

const BOOLEAN: Keyword[] = [
  { word: "true", help: "Enable" },
  { word: "false", help: "Disable" },
];

const src = value("src", "Source address", "address", "IPv4 address");
const dst = value("dst", "Destination address", "address", "IPv4 address");
const vtepSrc = value("src", "Source VTEP address", "address", "IPv4 address");
const vtepDst = value("dst", "Destination VTEP address", "address", "IPv4 address");
const proto = value("proto", "Protocol (default udp)", "protocol", "tcp or udp", [
  { word: "tcp", help: "TCP (6)" },
  { word: "udp", help: "UDP (17)" },
]);
const sport = value("sport", "Source port (default 33434)", "port", "1 to 65535");
const dport = value("dport", "Destination port (default 33434)", "port", "1 to 65535");
const vnid = value("vnid", "VXLAN network identifier", "vni", "0 to 16777215");
const appsrc = value("appsrc", "Application (inner) source address", "address", "IPv4 address");
const appdst = value("appdst", "Application (inner) destination address", "address", "IPv4 address");
const appsmac = value("appsmac", "Application (inner) source MAC address", "mac", "e.g. 9c:8e:99:12:88:2e");
const appdmac = value("appdmac", "Application (inner) destination MAC address", "mac", "e.g. 44:1e:a1:02:25:c0");
const tunnelSport = value("sport", "Outer UDP source port", "port", "1 to 65535");
const appDport = value("dport", "Application destination port (kept, not probed)", "port", "1 to 65535");
const originator = value(
  "originator",
  "Originator header: the owner of the trace",
  "name",
  "Any text; traces started with it need it later",
);

/** The word of `originator` that selects every Originator's traces in `show analytics flows`. */
export const ALL_ORIGINATORS = "all";

/** `show analytics flows`'s `originator`: one Originator's traces, or `all` of them. */
const flowsOriginator = value(
  "originator",
  "Originator header: whose active traces to show",
  "name",
  "Any text; traces started with it",
  [{ word: ALL_ORIGINATORS, help: "Every originator's traces, with their owners" }],
);

/** The collection parameters of start/flow and start/tunnel (compute-agent-api.txt, Tables 5 and 15). */
const COLLECTION: readonly Param[] = [
  value("sfreq", "Seconds between rounds (default 1)", "seconds", "Decimal number, e.g. 0.5"),
  value("nhops", "Largest TTL probed (default 255)", "count", "1 to 255"),
  value("ntry", "Tries per TTL in all (default 1)", "count", "1 to the agent's max-ntry"),
  value("timeout", "Probe timeout in milliseconds (default 30000)", "milliseconds", "1 to the agent's max-timeout"),
  value("chksum", "Valid transport checksums in probes (default true)", "boolean", "true or false", BOOLEAN),
  value("bw-ingress", "Count the flow's packets at each hop (default false)", "boolean", "true or false", BOOLEAN),
  value("mirror-type", "Mirror the flow to an analyzer", "type", "Mirror type", [
    { word: "ERSPAN", help: "GRE-encapsulated remote SPAN" },
  ]),
  value("mirror-dir", "Direction mirrored (with mirror-type)", "direction", "Direction", [
    { word: "ingress", help: "Packets entering the hop" },
    { word: "egress", help: "Packets leaving the hop" },
    { word: "both", help: "Both directions" },
  ]),
  value("mirror-analyzer", "Analyzer address (with mirror-type)", "address", "IPv4 address"),
];

const active: FlagParam = {
  kind: "flag",
  key: "active",
  keyword: { word: "active", help: "Only flows seen in the last 60 seconds" },
};

function path(verb: Keyword, word: string, help: string): Keyword[] {
  return [verb, ANALYTICS, { word, help }];
}

/** Every analytics command. */
export const ANALYTICS_COMMANDS: readonly CommandSpec[] = [
  {
    id: "show-flows",
    path: path(SHOW, "flows", "Show the flows the agent sees and the active traces"),
    params: [active, flowsOriginator, LEVEL],
  },
  {
    id: "show-flow-path",
    path: path(SHOW, "flow-path", "Show the path of a traced flow, hop by hop"),
    params: [src, dst, proto, sport, dport, originator, LEVEL],
    required: ["src", "dst"],
  },
  {
    id: "show-tunnel-path",
    path: path(SHOW, "tunnel-path", "Show the path of a traced VXLAN tunnel flow, hop by hop"),
    params: [vtepSrc, vtepDst, vnid, appsrc, appdst, tunnelSport, originator, LEVEL],
    required: ["src", "dst", "vnid", "appsrc", "appdst"],
  },
  {
    id: "start-flow",
    path: path(REQUEST, "start-flow", "Start tracing a flow, or change the parameters of an active one"),
    params: [src, dst, proto, sport, dport, ...COLLECTION, originator],
    required: ["src", "dst"],
  },
  {
    id: "stop-flow",
    path: path(REQUEST, "stop-flow", "Stop tracing a flow"),
    params: [src, dst, proto, sport, dport, originator],
    required: ["src", "dst"],
  },
  {
    id: "start-tunnel",
    path: path(REQUEST, "start-tunnel", "Start tracing a VXLAN tunnel flow, or change an active one"),
    params: [
      vtepSrc,
      vtepDst,
      tunnelSport,
      vnid,
      appsrc,
      appdst,
      appsmac,
      appdmac,
      appDport,
      ...COLLECTION,
      originator,
    ],
    required: ["src", "dst", "sport", "vnid", "appsrc", "appdst", "appsmac", "appdmac"],
  },
  {
    id: "stop-tunnel",
    path: path(REQUEST, "stop-tunnel", "Stop tracing a VXLAN tunnel flow"),
    params: [vtepSrc, vtepDst, vnid, appsrc, appdst, tunnelSport, originator],
    required: ["src", "dst", "vnid", "appsrc", "appdst"],
  },
];

/** The verbs these commands use, each a `flowlens` sub-command shared with the collector's commands. */
export const ANALYTICS_VERBS: readonly Keyword[] = [SHOW, REQUEST];

/**
 * The query parameter of the CA API each grammar key becomes (docs/api.md, "Parameters"); keys not listed here
 * (`level`, `active`, `originator`) are not query parameters.
 */
export const QUERY_NAMES: Readonly<Record<string, string>> = {
  src: "src",
  dst: "dst",
  proto: "proto",
  sport: "sport",
  dport: "dport",
  vnid: "vnid",
  appsrc: "appsrc",
  appdst: "appdst",
  appsmac: "appsmac",
  appdmac: "appdmac",
  sfreq: "sfreq",
  nhops: "nhops",
  ntry: "ntry",
  timeout: "timeout",
  chksum: "chksum",
  "bw-ingress": "bw_ingress",
  "mirror-type": "mirror_type",
  "mirror-dir": "mirror_dir",
  "mirror-analyzer": "mirror_analyzer",
};
