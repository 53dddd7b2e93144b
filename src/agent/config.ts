/**
 * The agent's configuration (`flowlens agent -c FILE`), loaded through the runtime kit (strict keys, env overrides
 * `FLOWLENS_<SECTION>_<KEY>`, `--check`, `--dump`; docs/configuration.md):
 *
 * ```yaml
 * log-level: info
 * http: { host: 127.0.0.1, port: 8080 }      # the CA API, /metrics, /healthz, /readyz, /version
 * auth: { token-file: /etc/flowlens/agent.token }   # optional: require Authorization: Bearer <token>
 * network: simulated                         # what probes go through: simulated (the default) or raw (real packets)
 * simulation: { topology-file: fabric.yaml } # optional: the fabric's topology (docs/sim.md); default topology without
 * raw: { helper-path: /usr/lib/flowlens/flowlens-probe }  # network: raw only; default native/build/flowlens-probe
 * limits:
 *   max-active-flows: 2000                   # flows and tunnels together
 *   probes-per-second: 50000                 # the global probe budget
 *   min-sfreq: 100ms                         # bounds on the clients' sfreq, ntry and timeout
 *   max-sfreq: 1d
 *   max-ntry: 10
 *   max-timeout: 5m
 *   telemetry-timeout: 5s                    # longest wait for one hop's telemetry
 * dashboard:                                 # the web dashboard at / (docs/dashboard.md)
 *   enabled: true
 *   collector-admin-url: http://127.0.0.1:8082   # optional: the collector admin API the Collector view reads (proxied)
 * telemetry:                                 # network: raw only: hopd / SNMP per router, else ICMP only (docs/telemetry.md)
 *   routers: [{ match: 10.0.0.0/8, snmp: { version: 2c, community-file: /etc/flowlens/snmp.community } }]
 * list-flow:
 *   source: auto                             # auto (the network's flows when simulated, else the host's), host, network
 *   sniff-interval: 0s                       # background sniffing of the host's sockets (0: when list/flow asks)
 *   retention: 10m                           # how long a vanished host flow is still listed
 * ```
 */
import { z } from "zod";
import { durationSchema } from "../runtime/duration.ts";
import { httpListenSchema } from "../runtime/http.ts";
import { logLevelSchema } from "../runtime/logger.ts";
import { secretEnvSchema, secretFileSchema } from "../runtime/secret.ts";
import { agentScaleOutSchema } from "../scale/scale-config.ts";
import { TELEMETRY_DEFAULTS, telemetryConfigSchema } from "./telemetry-config.ts";

/** Default port of the CA API (the spec's examples use 8080). */
export const AGENT_DEFAULT_PORT = 8080;

const limitsSchema = z
  .strictObject({
    "max-active-flows": z.number().int().min(1).max(1_000_000).default(2000),
    "probes-per-second": z.number().int().min(1).max(10_000_000).default(50_000),
    "min-sfreq": durationSchema({ min: "10ms", max: "1h" }).default(100),
    "max-sfreq": durationSchema({ min: "1s", max: "7d" }).default(86_400_000),
    "max-ntry": z.number().int().min(1).max(100).default(10),
    "max-timeout": durationSchema({ min: "30s", max: "1h" }).default(300_000),
    "telemetry-timeout": durationSchema({ min: "10ms", max: "5m" }).default(5000),
  })
  .refine((l) => l["min-sfreq"] <= 1000 && l["max-sfreq"] >= 1000, {
    error: "min-sfreq and max-sfreq must allow the spec's default sfreq of 1s",
  });

const authSchema = z
  .strictObject({
    "token-file": secretFileSchema().optional(),
    "token-env": secretEnvSchema().optional(),
  })
  .refine((a) => (a["token-file"] === undefined) !== (a["token-env"] === undefined), {
    error: "give exactly one of token-file or token-env",
  });

/** HTTPS for the API: PEM certificate (chain) file and private key file (read at start; the key never printed). */
const tlsSchema = z.strictObject({
  "cert-file": z.string().min(1),
  "key-file": secretFileSchema(),
});

const listFlowSchema = z.strictObject({
  source: z.enum(["auto", "host", "network"]).default("auto"),
  "sniff-interval": durationSchema({ max: "1h" }).default(0),
  retention: durationSchema({ min: "1m", max: "7d" }).default(600_000),
});

const simulationSchema = z.strictObject({
  /** YAML topology of the simulated fabric (docs/sim.md, "Topology configuration"); default: the built-in one. */
  "topology-file": z.string().min(1).optional(),
});

const rawSchema = z.strictObject({
  /** The privileged probe helper (docs/probe-helper.md); default: `native/build/flowlens-probe` under the package. */
  "helper-path": z.string().min(1).optional(),
});

/** The dashboard (docs/dashboard.md): served at `/` when enabled; its Collector view proxies `collector-admin-url`. */
const dashboardSchema = z.strictObject({
  enabled: z.boolean().default(true),
  "collector-admin-url": z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }).optional(),
});

/** The agent's configuration schema. */
export const agentConfigSchema = z.strictObject({
  "log-level": logLevelSchema,
  http: httpListenSchema(AGENT_DEFAULT_PORT).default({ host: "127.0.0.1", port: AGENT_DEFAULT_PORT }),
  auth: authSchema.optional(),
  tls: tlsSchema.optional(),
  network: z.enum(["simulated", "raw"]).default("simulated"),
  simulation: simulationSchema.default({}),
  raw: rawSchema.default({}),
  limits: limitsSchema.default({
    "max-active-flows": 2000,
    "probes-per-second": 50_000,
    "min-sfreq": 100,
    "max-sfreq": 86_400_000,
    "max-ntry": 10,
    "max-timeout": 300_000,
    "telemetry-timeout": 5000,
  }),
  "list-flow": listFlowSchema.default({ source: "auto", "sniff-interval": 0, retention: 600_000 }),
  dashboard: dashboardSchema.default({ enabled: true }),
  /** Hop telemetry on a real network (`network: raw`): hopd, SNMP, else ICMP only (docs/telemetry.md). */
  telemetry: telemetryConfigSchema.default(TELEMETRY_DEFAULTS),
  /** Scale-out (docs/scale-out.md): publish every completed round's Path to NATS JetStream. Absent: nothing published. */
  "scale-out": agentScaleOutSchema.optional(),
});

/** A validated agent configuration (durations in ms, secrets as `Secret`). */
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** The configuration with every default: what `startAgent` uses when given `{}` through {@link agentConfigSchema}. */
export function defaultAgentConfig(): AgentConfig {
  return agentConfigSchema.parse({});
}
