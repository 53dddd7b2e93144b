/**
 * The `telemetry` section of the agent's configuration (`network: raw`; issue 7, "Provider selection"): which routers
 * answer hop telemetry through hopd and/or SNMP, with their credentials read from files. See docs/telemetry.md.
 *
 * ```yaml
 * telemetry:
 *   hopd-timeout: 1500ms       # longest wait for hopd before trying SNMP
 *   snmp-timeout: 2s           # longest wait for an SNMP answer (cached data is used after it)
 *   hold-down: 30s             # a provider that failed for a hop is skipped for it this long
 *   cache: 1s                  # interface counters are reused this long (hopd and SNMP)
 *   routers:
 *     - match: [10.0.0.1, 10.0.1.1, 10.255.2.1]     # hop addresses or prefixes: the most specific entry wins
 *       hopd: { url: "http://10.255.2.1:9090", token-file: /etc/flowlens/hopd.token }
 *       snmp: { version: 2c, host: 10.255.2.1, community-file: /etc/flowlens/snmp.community }
 *     - match: 10.0.0.0/8
 *       snmp: { version: 3, user: flowlens, auth-protocol: sha, auth-key-file: /etc/flowlens/snmp.auth,
 *               priv-protocol: aes, priv-key-file: /etc/flowlens/snmp.priv }
 *     - match: 10.9.0.0/16     # neither: ICMP only (address, latency) for these hops
 * ```
 * It lives in src/agent (not src/telemetry, which may import only `wire`) because it uses the runtime kit for durations
 * and secret files, as the agent's own configuration does; src/telemetry/chain-from-config.ts builds the chain from it.
 */
import { z } from "zod";
import { durationSchema } from "../runtime/duration.ts";
import { secretFileSchema } from "../runtime/secret.ts";
import { ipv4ToNumber, parsePrefix } from "../telemetry/address-match.ts";

const ipv4 = z.string().refine((s) => ipv4ToNumber(s) !== null, { error: "expected an IPv4 address (a.b.c.d)" });
const port = z.number().int().min(1).max(65535);

const prefixText = z.string().refine(
  (s) => {
    try {
      parsePrefix(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: "expected an IPv4 address or prefix (a.b.c.d or a.b.c.d/n)" },
);

const hopdSchema = z.strictObject({
  /** hopd's base URL, e.g. `http://10.255.2.1:9090`. */
  url: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }),
  "token-file": secretFileSchema(),
});

const snmpV2Schema = z.strictObject({
  version: z.literal("2c"),
  /** The SNMP agent's address; default: the hop's responder address. */
  host: ipv4.optional(),
  port: port.optional(),
  "community-file": secretFileSchema(),
});

const snmpV3Schema = z
  .strictObject({
    version: z.literal([3, "3"]),
    host: ipv4.optional(),
    port: port.optional(),
    user: z.string().min(1).max(32),
    "auth-protocol": z.enum(["md5", "sha", "sha224", "sha256", "sha384", "sha512"]).default("sha"),
    "auth-key-file": secretFileSchema().optional(),
    "priv-protocol": z.enum(["des", "aes", "aes256b", "aes256r"]).default("aes"),
    "priv-key-file": secretFileSchema().optional(),
  })
  .refine((s) => s["priv-key-file"] === undefined || s["auth-key-file"] !== undefined, {
    error: "priv-key-file needs auth-key-file (SNMPv3 privacy requires authentication)",
  });

const routerSchema = z.strictObject({
  match: z.union([prefixText, z.array(prefixText).min(1)]),
  hopd: hopdSchema.optional(),
  snmp: z.discriminatedUnion("version", [snmpV2Schema, snmpV3Schema]).optional(),
});

/** Defaults of the section (durations in ms). */
export const TELEMETRY_DEFAULTS = Object.freeze({
  routers: [] as never[],
  "hopd-timeout": 1500,
  "snmp-timeout": 2000,
  "hold-down": 30_000,
  cache: 1000,
});

/** Schema of the agent's `telemetry` section. */
export const telemetryConfigSchema = z.strictObject({
  routers: z.array(routerSchema).default([]),
  "hopd-timeout": durationSchema({ min: "50ms", max: "1m" }).default(TELEMETRY_DEFAULTS["hopd-timeout"]),
  "snmp-timeout": durationSchema({ min: "50ms", max: "1m" }).default(TELEMETRY_DEFAULTS["snmp-timeout"]),
  "hold-down": durationSchema({ max: "1h" }).default(TELEMETRY_DEFAULTS["hold-down"]),
  cache: durationSchema({ max: "10m" }).default(TELEMETRY_DEFAULTS.cache),
});

/** A validated `telemetry` section (durations in ms, secrets as `Secret`). */
export type TelemetryConfig = z.output<typeof telemetryConfigSchema>;

/** One validated router entry. */
export type TelemetryRouterConfig = TelemetryConfig["routers"][number];

/**
 * One line describing the chain a `telemetry` section configures, for the agent's start message:
 * `hop telemetry: hopd (4 router entries), else SNMP (4), else ICMP only`, or `hop telemetry: ICMP only (no
 * telemetry.routers)`.
 */
export function describeTelemetryChain(config: Pick<TelemetryConfig, "routers">): string {
  const hopd = config.routers.filter((r) => r.hopd !== undefined).length;
  const snmp = config.routers.filter((r) => r.snmp !== undefined).length;
  if (hopd === 0 && snmp === 0) {
    return config.routers.length === 0
      ? "hop telemetry: ICMP only (no telemetry.routers)"
      : "hop telemetry: ICMP only (no router entry has hopd or snmp)";
  }
  const entries = (n: number) => `${n} router ${n === 1 ? "entry" : "entries"}`;
  const parts = [
    ...(hopd > 0 ? [`hopd (${entries(hopd)})`] : []),
    ...(snmp > 0 ? [`SNMP (${entries(snmp)})`] : []),
    "ICMP only",
  ];
  return `hop telemetry: ${parts.join(", else ")}`;
}
