/**
 * The exporter's configuration: one YAML document mirroring Junos `[edit forwarding-options sampling]`
 * (spec/cflowd-flow-aggregation.txt), with the statement names where they fit. Validated by
 * {@link exporterConfigSchema} and loaded through the runtime kit (`loadConfig`), so env overrides, `--check` and
 * `--dump` work as for every daemon. docs/exporter.md, "Configuration", lists every key with an example.
 *
 * Refused before anything starts, with the spec's reasons:
 * - `aggregation` on a version 5 host: "Aggregation is valid only if cflowd version 8 is specified";
 * - `protocol-port` without the host's `port` ("requires setting the separate cflowd port statement"), and any host
 *   without `port` ("You must also include the UDP port number on the host");
 * - `output.cflowd` hosts together with `port-mirroring`: "You cannot specify both host (cflowd) sampling and port
 *   mirroring in the same configuration";
 *
 * Live capture (`input.interfaces`) runs Debian's `tcpdump` as the capture process (live-capture-source.ts); where
 * tcpdump is absent the source is refused when it starts, with {@link LIVE_CAPTURE_UNAVAILABLE}, and counted as failed.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { durationSchema } from "../runtime/duration.ts";
import { httpListenSchema } from "../runtime/http.ts";
import { logLevelSchema } from "../runtime/logger.ts";

/** The spec's reason for refusing aggregation on a version 5 host. */
export const AGGREGATION_NEEDS_V8 = "Aggregation is valid only if cflowd version 8 is specified";
/** The spec's reason for refusing cflowd hosts and port mirroring together. */
export const CFLOWD_WITH_PORT_MIRRORING =
  "You cannot specify both host (cflowd) sampling and port mirroring in the same configuration";
/** Why a live capture source (`input.interfaces`) is refused where tcpdump is absent. */
export const LIVE_CAPTURE_UNAVAILABLE =
  "live capture needs tcpdump on PATH (apt-get install tcpdump) with CAP_NET_RAW (root, or " +
  "setcap cap_net_raw,cap_net_admin+eip /usr/bin/tcpdump)";

const ipv4Schema = z.string().refine((s) => isIP(s) === 4, { error: "expected an IPv4 address" });
const hostSchema = z
  .string()
  .min(1)
  .refine((s) => isIP(s) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(s), {
    error: "expected an IPv4 or IPv6 address or a host name",
  });
const ifIndexSchema = z.number().int().min(0).max(65_535);
/** An interface named in `snmp-ifindex`, or an SNMP ifIndex given as a number. */
const interfaceRefSchema = z.union([z.string().min(1), ifIndexSchema]);

/** One pcap/pcapng file read as a packet source. */
export const pcapSourceSchema = z.strictObject({
  /** Path of the capture file (classic pcap or pcapng, as tcpdump and dumpcap write them). */
  file: z.string().min(1),
  /**
   * `as-fast-as-possible`: read at full speed, the capture's own timestamps drive timeouts and periods (deterministic);
   * `recorded`: replay in real time at the pace the packets were captured.
   */
  pace: z.enum(["as-fast-as-possible", "recorded"]).default("as-fast-as-possible"),
  /**
   * Input interface of the packets (a name of `snmp-ifindex` or an ifIndex); a list gives one per pcapng interface id,
   * in order. Default ifIndex 0.
   */
  "input-interface": z.union([interfaceRefSchema, z.array(interfaceRefSchema).min(1)]).optional(),
  /** Output interface written into every record (a capture does not show where a router forwarded it). Default 0. */
  "output-interface": interfaceRefSchema.optional(),
});

/** One interface captured live by tcpdump: a name alone, or a mapping with the capture's settings. */
export const liveInterfaceSchema = z.union([
  z.string().min(1),
  z.strictObject({
    /** The interface tcpdump captures on (`tcpdump -i`). */
    name: z.string().min(1),
    /** A pcap-filter(7) expression handed to tcpdump (default: every packet). */
    filter: z.string().min(1).optional(),
    /** Bytes captured per packet (`tcpdump -s`), 68..262144; the wire length is still counted. Default 262144. */
    snaplen: z.number().int().min(68).max(262_144).default(262_144),
    /** Input interface of the records (a name of `snmp-ifindex` or an ifIndex). Default: `snmp-ifindex[name]`, or 0. */
    "input-interface": interfaceRefSchema.optional(),
    /** Output interface written into every record. Default 0. */
    "output-interface": interfaceRefSchema.optional(),
  }),
]);

/** `[edit forwarding-options sampling input]` plus the packet sources. */
export const inputSchema = z.strictObject({
  /** Sample 1 packet in `rate` (1..65535). */
  rate: z.number().int().min(1).max(65_535).default(1),
  /** Packets sampled after each trigger (0..20). */
  "run-length": z.number().int().min(0).max(20).default(0),
  /** Most packets sampled per second (Junos default 1000), or `unlimited`. */
  "max-packets-per-second": z.union([z.number().int().min(0).max(65_535), z.literal("unlimited")]).default(1000),
  /** How triggers are chosen: 1-in-N at random (v5 sampling mode 2) or every N-th packet (mode 1). Not a Junos key. */
  mode: z.enum(["random", "deterministic"]).default("random"),
  /** Seed of the random sampler, for reproducible runs (default: a fresh random seed). Not a Junos key. */
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  /** Interface name → SNMP ifIndex, for the records' input and output fields. */
  "snmp-ifindex": z.record(z.string().min(1), ifIndexSchema).default({}),
  /** Capture files, read one after the other. */
  pcap: z.array(pcapSourceSchema).default([]),
  /**
   * Live capture from these interfaces with tcpdump (CAP_NET_RAW needed), read after the capture files, on the wall
   * clock, by the daemon only (docs/exporter.md, "Live capture").
   */
  interfaces: z.array(liveInterfaceSchema).optional(),
  /**
   * The simulated fabric's traffic as a source (docs/sim.md; a simulation, not a capture): its flows' packets on the
   * wall clock, read by a daemon after the capture files (docs/exporter.md, "Simulated traffic").
   */
  simulation: z.boolean().default(false),
});

/** The five Junos aggregation statements; `source-destination-prefix` may hold `caida-compliant`. */
export const aggregationSchema = z.strictObject({
  "autonomous-system": z.boolean().optional(),
  "destination-prefix": z.boolean().optional(),
  "protocol-port": z.boolean().optional(),
  "source-destination-prefix": z
    .union([z.boolean(), z.strictObject({ "caida-compliant": z.boolean().default(false) })])
    .optional(),
  "source-prefix": z.boolean().optional(),
});

/** One `cflowd` host of `[edit forwarding-options sampling output]`. */
export const cflowdHostSchema = z.strictObject({
  /** The collecting host: an address or a name resolved once at start. */
  host: hostSchema,
  /** UDP port on the host; required (refused without it). */
  port: z.number().int().min(1).max(65_535).optional(),
  /** Export format: 5 (flow records) or 8 (aggregates; needs `aggregation`). */
  version: z.union([z.literal(5), z.literal(8)]).default(5),
  /** IPv4 source address the export socket is bound to (default: the kernel's choice). */
  "source-address": ipv4Schema.optional(),
  /** Write every datagram sent to this host to the local-dump file (`traceoptions`). Junos `local-dump`. */
  "local-dump": z.boolean().default(false),
  /** Which AS the AS fields carry: the route's origin AS or its peer AS. */
  "autonomous-system-type": z.enum(["origin", "peer"]).default("origin"),
  /** Version 8 aggregation schemes, each exported as its own stream. */
  aggregation: aggregationSchema.optional(),
  /** Header engine type and id, 0..255. */
  "engine-type": z.number().int().min(0).max(255).default(0),
  "engine-id": z.number().int().min(0).max(255).default(0),
});

/** `[edit forwarding-options port-mirroring]`: configurable so that the refusal next to cflowd is real. */
export const portMirroringSchema = z.strictObject({
  input: z
    .strictObject({
      rate: z.number().int().min(1).max(65_535).default(1),
      "run-length": z.number().int().min(0).max(20).default(0),
    })
    .prefault({}),
  output: z.strictObject({
    /** Interface the mirrored packets leave by. */
    interface: z.string().min(1),
    /** Next hop on that interface. */
    "next-hop": ipv4Schema.optional(),
  }),
});

/** The whole exporter configuration. */
export const exporterConfigSchema = z
  .strictObject({
    "log-level": logLevelSchema,
    input: inputSchema.prefault({}),
    output: z
      .strictObject({
        /** Collection period and export spread (cflowd's minute). */
        period: durationSchema({ min: "100ms", max: "1h" }).default(60_000),
        cflowd: z.array(cflowdHostSchema).default([]),
      })
      .prefault({}),
    "flow-cache": z
      .strictObject({
        /** Most flows held; beyond it the least recently updated flow is evicted (counted). */
        "max-flows": z
          .number()
          .int()
          .min(1)
          .max(2 ** 24)
          .default(65_536),
        /** Junos `flow-active-timeout`: long flows are exported while they last. */
        "flow-active-timeout": durationSchema({ min: "1s", max: "1d" }).default(1_800_000),
        /** Junos `flow-inactive-timeout`: flows idle this long end. */
        "flow-inactive-timeout": durationSchema({ min: "1s", max: "1d" }).default(60_000),
        /** TCP flows end this long after a FIN or RST. */
        "tcp-close-timeout": durationSchema({ max: "1h" }).default(5000),
      })
      .prefault({}),
    /** Routes for AS numbers and masks (`route-record`): a text table or an MRT TABLE_DUMP_V2 RIB dump, maybe gzip. */
    "route-record": z
      .strictObject({ file: z.string().min(1), format: z.enum(["auto", "text", "mrt"]).default("auto") })
      .optional(),
    /** Junos `traceoptions`: where the local dump goes, `<directory>/<file>` (an absolute `file` stands alone). */
    traceoptions: z
      .strictObject({ directory: z.string().min(1).default("var/log"), file: z.string().min(1).default("sampled") })
      .prefault({}),
    "port-mirroring": portMirroringSchema.optional(),
    /** Admin HTTP API (/metrics, /healthz, /readyz, /version); loopback by default. */
    admin: httpListenSchema(8083).prefault({}),
  })
  .superRefine((config, ctx) => {
    refineInput(config.input, ctx);
    config.output.cflowd.forEach((host, i) => {
      refineHost(host, ["output", "cflowd", i], ctx);
    });
    refineDuplicates(config.output.cflowd, ctx);
    if (config.output.cflowd.length > 0 && config["port-mirroring"] !== undefined) {
      ctx.addIssue({ code: "custom", path: ["port-mirroring"], message: CFLOWD_WITH_PORT_MIRRORING });
    }
  });

/** A validated exporter configuration. */
export type ExporterConfig = z.output<typeof exporterConfigSchema>;
/** One validated cflowd host. */
export type CflowdHostConfig = z.output<typeof cflowdHostSchema>;
/** One validated live interface (a bare name or its settings). */
export type LiveInterfaceConfig = z.output<typeof liveInterfaceSchema>;
/** One validated pcap source. */
export type PcapSourceConfig = z.output<typeof pcapSourceSchema>;
/** The validated input section. */
export type ExporterInputConfig = z.output<typeof inputSchema>;
/** A validated aggregation set. */
export type AggregationConfig = z.output<typeof aggregationSchema>;

type Ctx = z.core.$RefinementCtx<unknown>;

function refineInput(input: ExporterInputConfig, ctx: Ctx): void {
  const sources: [(string | number)[], PcapSourceConfig | Exclude<LiveInterfaceConfig, string>][] = [];
  input.pcap.forEach((source, i) => {
    sources.push([["input", "pcap", i], source]);
  });
  input.interfaces?.forEach((source, i) => {
    if (typeof source !== "string") sources.push([["input", "interfaces", i], source]);
  });
  for (const [path, source] of sources) {
    const refs: [(string | number)[], string | number][] = [];
    const inputRef = source["input-interface"];
    if (Array.isArray(inputRef)) {
      for (const [k, r] of inputRef.entries()) refs.push([["input-interface", k], r]);
    } else if (inputRef !== undefined) refs.push([["input-interface"], inputRef]);
    if (source["output-interface"] !== undefined) refs.push([["output-interface"], source["output-interface"]]);
    for (const [key, ref] of refs) {
      if (typeof ref === "string" && input["snmp-ifindex"][ref] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [...path, ...key],
          message: `interface ${JSON.stringify(ref)} is not in input.snmp-ifindex`,
        });
      }
    }
  }
}

/** The names of the aggregation statements switched on (`true` or a mapping), in document order. */
export function aggregationSchemesOf(aggregation: AggregationConfig | undefined): string[] {
  if (aggregation === undefined) return [];
  return Object.entries(aggregation)
    .filter(([, v]) => v !== false && v !== undefined)
    .map(([k]) => k);
}

function refineHost(host: CflowdHostConfig, path: (string | number)[], ctx: Ctx): void {
  const schemes = aggregationSchemesOf(host.aggregation);
  if (host.version === 5 && host.aggregation !== undefined) {
    ctx.addIssue({ code: "custom", path: [...path, "aggregation"], message: AGGREGATION_NEEDS_V8 });
  }
  if (host.version === 8 && schemes.length === 0) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "aggregation"],
      message: "version 8 exports aggregates: configure at least one aggregation type",
    });
  }
  if (host.port === undefined) {
    const message = schemes.includes("protocol-port")
      ? "protocol-port aggregation requires setting the separate cflowd port statement"
      : "missing: you must include the UDP port number on the cflowd host";
    ctx.addIssue({ code: "custom", path: [...path, "port"], message });
  }
}

function refineDuplicates(hosts: readonly CflowdHostConfig[], ctx: Ctx): void {
  const seen = new Map<string, number>();
  hosts.forEach((host, i) => {
    if (host.port === undefined) return;
    const key = `${host.host}|${host.port}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else {
      ctx.addIssue({
        code: "custom",
        path: ["output", "cflowd", i],
        message: `sends to the same host and port as output.cflowd[${first}]`,
      });
    }
  });
}

/** `host:port` of a cflowd host (IPv6 in brackets): its name in metrics, logs and summaries. */
export function cflowdHostName(host: CflowdHostConfig): string {
  const h = isIP(host.host) === 6 ? `[${host.host}]` : host.host;
  return `${h}:${host.port ?? 0}`;
}
