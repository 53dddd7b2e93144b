/**
 * The simulated fabric's topology configuration: devices (switches), links between them (plain or LAG), hosts attached to
 * leaf ports (optionally VXLAN VTEPs with VMs), and the application flows the hosts run. A plain object shaped like the
 * project's YAML files (kebab-case keys, unknown keys rejected), validated by {@link simTopologySchema}, which also
 * checks every cross-reference (devices named by links exist, interface names and addresses are unique...), so a
 * daemon can embed it in its own configuration and report `path: message` errors. Units are in the key names
 * (`-ms`, `-us`, `-s`, `pps`, `bytes`). docs/sim.md describes the models these numbers drive.
 *
 * ```yaml
 * devices:
 *   - { name: leaf1, serial: TA0000000001, timestamp-type: PTP }
 *   - { name: spine1, serial: TB0000000001 }
 * links:
 *   - a: { device: leaf1, interface: xe-0/0/1.0, address: 172.16.0.0 }
 *     b: { device: spine1, interface: xe-0/0/1.0, address: 172.16.0.1 }
 * hosts:
 *   - address: 10.0.1.1
 *     attach: { device: leaf1, interface: ge-0/0/0.0, gateway: 10.0.1.254 }
 * ```
 */
import { z } from "zod";
import { ipv4FromString } from "../wire/ipv4-address.ts";
import { VXLAN_MAX_VNI, VXLAN_UDP_PORT } from "../wire/vxlan.ts";
import { SimConfigError } from "./errors.ts";

function isIpv4(text: string): boolean {
  try {
    ipv4FromString(text);
    return true;
  } catch {
    return false;
  }
}

const ipv4Schema = z.string().refine(isIpv4, { error: "expected a dotted-quad IPv4 address" });
/** Junos-style logical interface names: `ge-0/0/0.0`, `xe-0/0/18.0`, `et-0/0/48.0`, `ae0.0`, `irb.100`. */
const interfaceNameSchema = z.string().regex(/^[a-z]{2,6}(-\d+(\/\d+){1,3}|\d*)\.\d{1,5}$/, {
  error: "expected a Junos logical interface name (xe-0/0/2.0)",
});
const macSchema = z.string().regex(/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/, { error: "expected a MAC address" });
const portSchema = z.number().int().min(0).max(65535);
const protoSchema = z.enum(["tcp", "udp"]);
const u32Schema = z.number().int().min(0).max(0xffffffff);

/** A utilisation that moves: `base` percent plus a sine of amplitude `swing` and period `period-s`. */
const utilisationSchema = z.strictObject({
  base: z.number().min(0).max(100),
  swing: z.number().min(0).max(50).default(3),
  "period-s": z.number().min(1).max(86_400).default(300),
});

/** A switch or router of the fabric. */
export const simDeviceSchema = z.strictObject({
  /** DevName, e.g. `device02-example-01`. */
  name: z.string().regex(/^[\x21-\x7e]{1,64}$/, { error: "1 to 64 printable characters without spaces" }),
  /** DevSerialID, e.g. `TA3714040533`. */
  serial: z.string().regex(/^[\x21-\x7e]{1,32}$/, { error: "1 to 32 printable characters without spaces" }),
  /** Informational: `leaf` or `spine` (forwarding is shortest-path ECMP whatever the role). */
  role: z.enum(["leaf", "spine"]).default("leaf"),
  /** Table 8 `Type`: how the device's clock is synchronised. */
  "timestamp-type": z.enum(["PTP", "NTP", "LCPU"]).default("LCPU"),
  /** Seed of the forwarding hash (docs/sim.md); default derived from the name. */
  "hash-seed": u32Schema.optional(),
  /** First `Bandwidth_ID` this device hands out; each (re)installed per-flow counter takes the next. */
  "bandwidth-id-base": u32Schema.optional(),
  /** Control-plane time to answer a probe with ICMP Time Exceeded, milliseconds, plus uniform jitter. */
  "reply-ms": z.number().min(0).max(60_000).default(8),
  "jitter-ms": z.number().min(0).max(60_000).default(0.5),
  /** False: the device forwards but never answers TTL expiry (its hop times out). */
  "answers-ttl-expired": z.boolean().default(true),
  /** Probability (0..1) that one answer is lost. */
  "reply-loss": z.number().min(0).max(1).default(0),
  cpu: utilisationSchema.prefault({ base: 15, swing: 5 }),
  memory: utilisationSchema.prefault({ base: 15, swing: 1, "period-s": 3600 }),
  /** Seconds the device has been up when the fabric starts (sets how large its interface counters already are). */
  "uptime-s": z
    .number()
    .min(0)
    .max(10 * 365 * 86_400)
    .default(30 * 86_400),
});

/** Background traffic of a link, each direction (the b-to-a direction runs at a rate derived from the link's index). */
export const simTrafficSchema = z.strictObject({
  /** Mean unicast packets per second. */
  pps: z.number().min(0).max(1e9).default(20_000),
  /** Mean packet size, bytes. */
  bytes: z.number().int().min(64).max(9216).default(800),
  /** Relative amplitude (0..0.9) of the rate's sine, and its period. */
  swing: z.number().min(0).max(0.9).default(0.3),
  "period-s": z.number().min(1).max(86_400).default(600),
  "multicast-pps": z.number().min(0).max(1e6).default(0.2),
  "broadcast-pps": z.number().min(0).max(1e6).default(0.02),
  "crc-errors-per-hour": z.number().min(0).max(1e9).default(0),
  "drops-per-hour": z.number().min(0).max(1e9).default(0),
});

const endpointSchema = z.strictObject({
  device: z.string().min(1),
  /** The logical interface (for a LAG, the aggregate: `ae0.0`). Its address answers probes arriving on it. */
  interface: interfaceNameSchema,
  address: ipv4Schema,
});

/** A link between two devices; with `members`, a LAG whose member links are named on each side. */
export const simLinkSchema = z.strictObject({
  a: endpointSchema,
  b: endpointSchema,
  members: z
    .array(z.strictObject({ a: interfaceNameSchema, b: interfaceNameSchema }))
    .min(1)
    .max(64)
    .optional(),
  /** One-way latency (propagation and serialisation), microseconds. */
  "latency-us": z.number().min(0).max(1e7).default(5),
  background: simTrafficSchema.prefault({}),
});

const vmSchema = z.strictObject({
  address: ipv4Schema,
  mac: macSchema,
  vni: z.number().int().min(0).max(VXLAN_MAX_VNI),
});

/** A host on a leaf port: the leaf's interface and its address (the host's gateway). */
export const simHostSchema = z.strictObject({
  name: z.string().min(1).max(64).optional(),
  address: ipv4Schema,
  attach: z.strictObject({ device: z.string().min(1), interface: interfaceNameSchema, gateway: ipv4Schema }),
  "latency-us": z.number().min(0).max(1e7).default(2),
  /** Time the host takes to answer a probe (port unreachable, TCP reset, VXLAN endpoint), milliseconds. */
  "reply-ms": z.number().min(0).max(60_000).default(0.05),
  background: simTrafficSchema.prefault({ pps: 2000, bytes: 600 }),
  /** Present when the host is a VXLAN tunnel endpoint: the VMs behind it. */
  vtep: z.strictObject({ vms: z.array(vmSchema).max(4096).default([]) }).optional(),
});

/** The inner (VM) side of an overlay flow. */
const overlaySchema = z.strictObject({
  vnid: z.number().int().min(0).max(VXLAN_MAX_VNI),
  appsrc: ipv4Schema,
  appdst: ipv4Schema,
  appsmac: macSchema,
  appdmac: macSchema,
  proto: protoSchema.default("udp"),
  sport: portSchema,
  dport: portSchema,
});

/**
 * An application flow between two hosts (list/flow). With `overlay`, a VXLAN flow: the 5-tuple is the outer one (UDP to
 * 4789 between the VTEPs). Times are seconds relative to the fabric's start: negative started before it.
 */
export const simFlowSchema = z.strictObject({
  src: ipv4Schema,
  dst: ipv4Schema,
  proto: protoSchema.default("udp"),
  sport: portSchema,
  dport: portSchema,
  pps: z.number().min(0).max(1e8).default(100),
  bytes: z.number().int().min(64).max(9216).default(800),
  "start-s": z
    .number()
    .min(-10 * 365 * 86_400)
    .max(10 * 365 * 86_400)
    .default(0),
  "end-s": z
    .number()
    .min(-10 * 365 * 86_400)
    .max(10 * 365 * 86_400)
    .optional(),
  overlay: overlaySchema.optional(),
});

const topologyObjectSchema = z.strictObject({
  /** Seed of jitter and loss (the default random source). */
  seed: z.number().int().default(1),
  devices: z.array(simDeviceSchema).min(1).max(4096),
  links: z.array(simLinkSchema).max(65_536).default([]),
  hosts: z.array(simHostSchema).min(1).max(65_536),
  flows: z.array(simFlowSchema).max(65_536).default([]),
  /** Traced tuples that are not configured flows get simulated traffic; at most this many (oldest retired first). */
  "max-traced-flows": z.number().int().min(0).max(1_000_000).default(10_000),
});

/** The whole topology: the fields above plus every cross-reference check. */
export const simTopologySchema = topologyObjectSchema.superRefine((topo, ctx) => {
  for (const issue of crossReferenceIssues(topo))
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.msg });
});

/** The topology as written (defaults may be left out). */
export type SimTopologyInput = z.input<typeof simTopologySchema>;
/** The topology with every default filled in. */
export type SimTopology = z.output<typeof simTopologySchema>;
/** One device, defaults filled in. */
export type SimDeviceConfig = z.output<typeof simDeviceSchema>;
/** One link, defaults filled in. */
export type SimLinkConfig = z.output<typeof simLinkSchema>;
/** One host, defaults filled in. */
export type SimHostConfig = z.output<typeof simHostSchema>;
/** One flow, defaults filled in. */
export type SimFlowConfig = z.output<typeof simFlowSchema>;
/** Background traffic parameters, defaults filled in. */
export type SimTrafficConfig = z.output<typeof simTrafficSchema>;

interface PathIssue {
  path: (string | number)[];
  msg: string;
}

/** Cross-reference checks the per-field schema cannot express. */
function crossReferenceIssues(topo: z.output<typeof topologyObjectSchema>): PathIssue[] {
  const issues: PathIssue[] = [];
  const devices = new Set<string>();
  topo.devices.forEach((d, i) => {
    if (devices.has(d.name)) issues.push({ path: ["devices", i, "name"], msg: `duplicate device name ${d.name}` });
    devices.add(d.name);
  });
  const addresses = new Map<string, string>();
  const claimAddress = (addr: string, path: (string | number)[]) => {
    const prior = addresses.get(addr);
    if (prior !== undefined) issues.push({ path, msg: `address ${addr} is already used by ${prior}` });
    else addresses.set(addr, path.join("."));
  };
  const interfaces = new Set<string>();
  const claimInterface = (device: string, name: string, path: (string | number)[]) => {
    if (!devices.has(device)) issues.push({ path: [...path.slice(0, -1), "device"], msg: `unknown device ${device}` });
    const key = `${device} ${name}`;
    if (interfaces.has(key)) issues.push({ path, msg: `interface ${name} of ${device} is already in use` });
    interfaces.add(key);
  };
  topo.links.forEach((l, i) => {
    if (l.a.device === l.b.device) issues.push({ path: ["links", i, "b", "device"], msg: "a link joins two devices" });
    for (const side of ["a", "b"] as const) {
      claimInterface(l[side].device, l[side].interface, ["links", i, side, "interface"]);
      claimAddress(l[side].address, ["links", i, side, "address"]);
      l.members?.forEach((m, j) => {
        claimInterface(l[side].device, m[side], ["links", i, "members", j, side]);
      });
    }
  });
  const hostAddrs = new Set<string>();
  topo.hosts.forEach((h, i) => {
    claimInterface(h.attach.device, h.attach.interface, ["hosts", i, "attach", "interface"]);
    claimAddress(h.attach.gateway, ["hosts", i, "attach", "gateway"]);
    claimAddress(h.address, ["hosts", i, "address"]);
    hostAddrs.add(h.address);
  });
  topo.flows.forEach((f, i) => {
    if (!hostAddrs.has(f.src)) issues.push({ path: ["flows", i, "src"], msg: `${f.src} is not a host` });
    if (!hostAddrs.has(f.dst)) issues.push({ path: ["flows", i, "dst"], msg: `${f.dst} is not a host` });
    if (f.overlay !== undefined && (f.proto !== "udp" || f.dport !== VXLAN_UDP_PORT)) {
      issues.push({
        path: ["flows", i, "dport"],
        msg: `an overlay flow's outer tuple is udp to port ${VXLAN_UDP_PORT}`,
      });
    }
    if (f["end-s"] !== undefined && f["end-s"] < f["start-s"]) {
      issues.push({ path: ["flows", i, "end-s"], msg: "end-s is before start-s" });
    }
  });
  return issues;
}

/**
 * Validates a topology (a plain object, e.g. parsed YAML) and fills in its defaults.
 * @throws SimConfigError listing every problem as `path: message`.
 */
export function parseSimTopology(input: unknown): SimTopology {
  const result = simTopologySchema.safeParse(input);
  if (result.success) return result.data;
  throw new SimConfigError(
    result.error.issues.map((i) => ({ path: i.path.length === 0 ? "(root)" : i.path.join("."), message: i.message })),
  );
}
