/**
 * Builds the agent's telemetry provider from its `telemetry` configuration: one hopd client for every router with
 * `hopd`, one SNMP provider for every router with `snmp`, and the {@link ProviderChain} choosing between them per hop.
 * The hopd client is injected (src/telemetry/hopd-provider.ts's `HopdProvider`), so this file does not depend on it.
 * The configuration's schema is the agent's (src/agent/telemetry-config.ts: it needs the runtime kit, which src/telemetry
 * may not import); {@link TelemetryChainConfig} is the validated shape this file reads.
 */
import type { ChainFallback, ChainProviderKind, ChainRule } from "./provider-chain.ts";
import { ProviderChain } from "./provider-chain.ts";
import type { TelemetryProvider } from "./provider.ts";
import type { SnmpClientFactory, SnmpTarget } from "./snmp/client.ts";
import { type SnmpDeviceRule, SnmpProvider } from "./snmp/snmp-provider.ts";

/** A secret read from a file (the runtime's `Secret`): revealed only to build a client. */
export interface RevealableSecret {
  reveal(): string;
}

/** One validated router entry of the `telemetry` section (src/agent/telemetry-config.ts). */
export interface TelemetryRouterConfig {
  /** Hop addresses or prefixes. */
  readonly match: string | readonly string[];
  readonly hopd?: { readonly url: string; readonly "token-file": RevealableSecret };
  readonly snmp?:
    | {
        readonly version: "2c";
        readonly host?: string;
        readonly port?: number;
        readonly "community-file": RevealableSecret;
      }
    | {
        readonly version: 3 | "3";
        readonly host?: string;
        readonly port?: number;
        readonly user: string;
        readonly "auth-protocol": "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512";
        readonly "auth-key-file"?: RevealableSecret;
        readonly "priv-protocol": "des" | "aes" | "aes256b" | "aes256r";
        readonly "priv-key-file"?: RevealableSecret;
      };
}

/** The validated `telemetry` section as the chain reads it (durations in ms). */
export interface TelemetryChainConfig {
  readonly routers: readonly TelemetryRouterConfig[];
  readonly "hopd-timeout": number;
  readonly "snmp-timeout": number;
  readonly "hold-down": number;
  readonly cache: number;
}

/** One router as the hopd client takes it (the `HopdRouter` of src/telemetry/hopd-provider.ts). */
export interface HopdRouterSpec {
  /** Address or CIDR of the hops this router answers for. */
  match: string;
  url: string;
  token: string;
}

/** Makes the hopd client (`(o) => new HopdProvider(o)`). */
export type HopdFactory = (options: {
  routers: HopdRouterSpec[];
  timeoutMs?: number;
  cacheMs?: number;
}) => TelemetryProvider;

/** What {@link createTelemetryChain} needs besides the configuration. */
export interface TelemetryChainDeps {
  /** The hopd client; required when a router has `hopd`. */
  hopd?: HopdFactory;
  /** SNMP client factory (tests); default net-snmp. */
  snmpClientFactory?: SnmpClientFactory;
  onFallback?: (event: ChainFallback) => void;
  now?: () => number;
}

/** A configuration the chain cannot be built from (`ERR_TELEMETRY_CONFIG`). */
export class TelemetryConfigError extends Error {
  /** Stable error code. */
  readonly code = "ERR_TELEMETRY_CONFIG";
  constructor(message: string) {
    super(message);
    this.name = "TelemetryConfigError";
  }
}

function matchesOf(router: TelemetryRouterConfig): string[] {
  return typeof router.match === "string" ? [router.match] : [...router.match];
}

function snmpRule(router: TelemetryRouterConfig): SnmpDeviceRule | null {
  const s = router.snmp;
  if (s === undefined) return null;
  let credentials: SnmpTarget["credentials"];
  if (s.version === "2c") {
    credentials = { version: "2c", community: s["community-file"].reveal() };
  } else {
    const auth = s["auth-key-file"];
    const priv = s["priv-key-file"];
    credentials = {
      version: "3",
      user: {
        name: s.user,
        ...(auth === undefined ? {} : { auth: { protocol: s["auth-protocol"], key: auth.reveal() } }),
        ...(priv === undefined ? {} : { priv: { protocol: s["priv-protocol"], key: priv.reveal() } }),
      },
    };
  }
  return {
    match: matchesOf(router),
    credentials,
    ...(s.host === undefined ? {} : { host: s.host }),
    ...(s.port === undefined ? {} : { port: s.port }),
  };
}

/**
 * The provider chain for `config`. With no routers it answers nothing for any hop (ICMP only).
 * @throws TelemetryConfigError when a router has `hopd` but no hopd client is given.
 */
export function createTelemetryChain(config: TelemetryChainConfig, deps: TelemetryChainDeps = {}): ProviderChain {
  const rules: ChainRule[] = [];
  const hopdRouters: HopdRouterSpec[] = [];
  const snmpRules: SnmpDeviceRule[] = [];
  for (const router of config.routers) {
    const kinds: ChainProviderKind[] = [];
    if (router.hopd !== undefined) {
      kinds.push("hopd");
      const token = router.hopd["token-file"].reveal();
      for (const match of matchesOf(router)) hopdRouters.push({ match, url: router.hopd.url, token });
    }
    const snmp = snmpRule(router);
    if (snmp !== null) {
      kinds.push("snmp");
      snmpRules.push(snmp);
    }
    rules.push({ match: matchesOf(router), providers: kinds });
  }
  const providers: Partial<Record<ChainProviderKind, TelemetryProvider>> = {};
  if (hopdRouters.length > 0) {
    if (deps.hopd === undefined) {
      throw new TelemetryConfigError("telemetry.routers: hopd is configured but this agent has no hopd client");
    }
    providers.hopd = deps.hopd({ routers: hopdRouters, timeoutMs: config["hopd-timeout"], cacheMs: config.cache });
  }
  if (snmpRules.length > 0) {
    providers.snmp = new SnmpProvider({
      devices: snmpRules,
      timeoutMs: config["snmp-timeout"],
      cacheAges: { interfaces: config.cache },
      ...(deps.snmpClientFactory === undefined ? {} : { clientFactory: deps.snmpClientFactory }),
      ...(deps.now === undefined ? {} : { now: deps.now }),
    });
  }
  return new ProviderChain({
    rules,
    providers,
    holdDownMs: config["hold-down"],
    ...(deps.onFallback === undefined ? {} : { onFallback: deps.onFallback }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
}
