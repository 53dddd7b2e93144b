/**
 * The SNMP telemetry provider (issue 7, "SNMP provider"): hop telemetry from any router's standard MIBs over SNMP v2c
 * or v3, read by numeric OID. For the hop that answered as `responder` it reports sysName, the chassis serial
 * (ENTITY-MIB, else the agent's snmpEngineID), CPU and memory, the ingress interface (the one holding the responder
 * address, IP-MIB) and the egress toward the flow's destination (the longest-prefix route's next hops,
 * IP-FORWARD-MIB, with LAG members from IEEE8023-LAG-MIB), every interface with its Table 14 counters.
 *
 * Where the device's route table does not show every ECMP next hop (Linux snmpd lists only the first), the member the
 * flow took is inferred from `nextResponder` (the interface whose subnet holds it) and added to the group; `chosen` is
 * that member. SNMP cannot count one flow or mirror it: `bandwidth` is never reported and `startMirror` is refused.
 * The timestamp type is always `LCPU` (SNMP does not say how the clock is synchronised).
 *
 * Each device's tables are cached (see {@link DeviceCacheAges}); a query answers within `timeoutMs` from whatever is
 * cached when the device is slow, and fails only when the device never answered the identity read (a timeout is
 * `retryable` until two reads in a row have failed, so the chain asks again next round and gets the late answer).
 */
import type { ProbeTarget } from "../../probe/transport.ts";
import { longestMatch, type Ipv4Prefix, parsePrefix, prefixContains } from "../address-match.ts";
import { interfaceTowards, type InterfaceSubnet } from "../egress-inference.ts";
import { MirrorUnsupportedError } from "../icmp-only.ts";
import type {
  EgressAttribute,
  HopQuery,
  HopTelemetry,
  LogicalInterface,
  MirrorRequest,
  TelemetryProvider,
} from "../provider.ts";
import { CacheDeadlineError } from "./cached-read.ts";
import { netSnmpClientFactory, type SnmpClientFactory, type SnmpTarget } from "./client.ts";
import { DEFAULT_CACHE_AGES, type DeviceCacheAges, SnmpDevice } from "./device.ts";
import { SnmpTelemetryError } from "./errors.ts";
import type { SnmpAddress, SnmpInterface, SnmpRoute } from "./tables.ts";

/** Which hops one SNMP agent answers for, and how to reach it. */
export interface SnmpDeviceRule {
  /** Hop addresses or prefixes (`a.b.c.d`, `a.b.c.d/n`) this rule covers; the longest match wins. */
  match: readonly string[];
  /** Address of the SNMP agent; default: the hop's responder address itself. */
  host?: string;
  /** UDP port (default 161). */
  port?: number;
  credentials: SnmpTarget["credentials"];
}

/** Options of {@link SnmpProvider}. */
export interface SnmpProviderOptions {
  devices: readonly SnmpDeviceRule[];
  /** Longest wait for one hop's answer, ms (default 2000); keep it below the agent's telemetry-timeout. */
  timeoutMs?: number;
  /** Cache ages per table (defaults {@link DEFAULT_CACHE_AGES}). */
  cacheAges?: Partial<DeviceCacheAges>;
  /** Makes a device's client (default: net-snmp over UDP). */
  clientFactory?: SnmpClientFactory;
  /** Epoch-ms clock (default Date.now). */
  now?: () => number;
}

interface CompiledRule {
  prefix: Ipv4Prefix;
  rule: SnmpDeviceRule;
}

function destinationOf(target: ProbeTarget): string {
  return target.kind === "flow" ? target.flow.dst : target.tunnel.dst;
}

function logical(ifl: SnmpInterface): LogicalInterface {
  return { name: ifl.name, counters: { ...ifl.counters } };
}

/** The egress of a hop toward `destination` from its routes, interfaces and addresses. Pure. */
export function snmpEgress(
  routes: readonly SnmpRoute[],
  interfaces: ReadonlyMap<number, SnmpInterface>,
  addresses: readonly SnmpAddress[],
  destination: string,
  nextResponder: string | undefined,
): EgressAttribute {
  let best: Ipv4Prefix | null = null;
  for (const r of routes) {
    if (prefixContains(r.prefix, destination) && (best === null || r.prefix.length > best.length)) best = r.prefix;
  }
  const entries =
    best === null ? [] : routes.filter((r) => r.prefix.network === best.network && r.prefix.length === best.length);
  const members: number[] = [];
  for (const e of entries) if (!members.includes(e.ifIndex) && interfaces.has(e.ifIndex)) members.push(e.ifIndex);
  const subnets: InterfaceSubnet[] = addresses.flatMap((a) => {
    const ifl = interfaces.get(a.ifIndex);
    return ifl === undefined || a.prefixLength === undefined
      ? []
      : [{ name: ifl.name, address: a.address, prefixLength: a.prefixLength }];
  });
  const inferred = nextResponder === undefined ? null : interfaceTowards(subnets, nextResponder);
  const inferredIndex = [...interfaces.values()].find((i) => i.name === inferred)?.ifIndex;
  // Linux snmpd lists only the first next hop of an ECMP route: the member the flow took is added from inference.
  if (inferredIndex !== undefined && !members.includes(inferredIndex)) members.push(inferredIndex);
  const plain: LogicalInterface[] = [];
  const l2Ecmp: EgressAttribute["l2Ecmp"] = [];
  for (const idx of members) {
    const ifl = interfaces.get(idx)!;
    const ports = [...interfaces.values()].filter((p) => p.lag === idx);
    if (ports.length === 0) plain.push(logical(ifl));
    else l2Ecmp.push({ aeName: ifl.name, members: ports.map(logical), numBuckets: ports.length });
  }
  const egress: EgressAttribute = { members: plain, numBuckets: members.length, l2Ecmp };
  if (inferred !== null) egress.chosen = inferred;
  else if (plain.length === 1 && l2Ecmp.length === 0) egress.chosen = plain[0]!.name;
  return egress;
}

/** The SNMP provider (name `snmp`). */
export class SnmpProvider implements TelemetryProvider {
  /** Provider name. */
  readonly name = "snmp";
  private readonly rules: CompiledRule[];
  private readonly devices = new Map<string, SnmpDevice>();
  private readonly timeoutMs: number;
  private readonly ages: DeviceCacheAges;
  private readonly factory: SnmpClientFactory;
  private readonly now: () => number;
  private closed = false;

  /** @throws AddressSyntaxError for a malformed `match`. */
  constructor(options: SnmpProviderOptions) {
    this.rules = options.devices.flatMap((rule) => rule.match.map((m) => ({ prefix: parsePrefix(m), rule })));
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.ages = { ...DEFAULT_CACHE_AGES, ...options.cacheAges };
    this.factory = options.clientFactory ?? netSnmpClientFactory;
    this.now = options.now ?? (() => Date.now());
  }

  /** Whether a rule covers `responder` (the chain asks before choosing this provider). */
  covers(responder: string): boolean {
    return longestMatch(this.rules, responder) !== null;
  }

  /** The device (session and caches) for `host:port`, created on first use. */
  private device(rule: SnmpDeviceRule, responder: string): SnmpDevice {
    const host = rule.host ?? responder;
    const key = `${host}:${rule.port ?? 161}`;
    let device = this.devices.get(key);
    if (device === undefined) {
      const target: SnmpTarget = {
        host,
        credentials: rule.credentials,
        requestTimeoutMs: Math.max(100, Math.floor(this.timeoutMs / 2)),
        retries: 1,
        ...(rule.port === undefined ? {} : { port: rule.port }),
      };
      try {
        device = new SnmpDevice(this.factory(target), this.ages, { now: this.now });
      } catch (e) {
        throw new SnmpTelemetryError("ERR_SNMP_REQUEST", key, `cannot open a session: ${(e as Error).message}`, {
          cause: e,
        });
      }
      this.devices.set(key, device);
    }
    return device;
  }

  /**
   * Telemetry of the hop that answered as `query.responder`; null when no rule covers it.
   * @throws SnmpTelemetryError `ERR_SNMP_TIMEOUT` (no answer within the timeout, nothing cached), `ERR_SNMP_REQUEST`
   *   (the device refused or failed), `ERR_SNMP_CLOSED`.
   */
  async hop(query: HopQuery): Promise<HopTelemetry | null> {
    if (this.closed) throw new SnmpTelemetryError("ERR_SNMP_CLOSED", query.responder, "provider is closed");
    const match = longestMatch(this.rules, query.responder);
    if (match === null) return null;
    const device = this.device(match.rule, query.responder);
    const t = this.timeoutMs;
    const [identity, load, interfaces, addresses, routes] = await Promise.allSettled([
      device.identity.read(t),
      device.load.read(t),
      device.interfaces.read(t),
      device.addresses.read(t),
      device.routes.read(t),
    ]);
    if (identity.status === "rejected") {
      const e = identity.reason as unknown;
      const where = `${match.rule.host ?? query.responder}:${match.rule.port ?? 161}`;
      if (e instanceof SnmpTelemetryError) throw e;
      if (e instanceof CacheDeadlineError) {
        // Slow until proven dead: after two failed reads in a row the device counts as down (not retryable).
        const retryable = device.identity.consecutiveFailures < 2;
        throw new SnmpTelemetryError("ERR_SNMP_TIMEOUT", where, `no answer within ${t} ms`, { cause: e, retryable });
      }
      throw new SnmpTelemetryError("ERR_SNMP_REQUEST", where, String((e as Error)?.message ?? e), { cause: e });
    }
    const ifaces = interfaces.status === "fulfilled" ? interfaces.value.value : new Map<number, SnmpInterface>();
    const addrs = addresses.status === "fulfilled" ? addresses.value.value : [];
    const ingressIndex = addrs.find((a) => a.address === query.responder)?.ifIndex;
    const ingress = ingressIndex === undefined ? undefined : ifaces.get(ingressIndex);
    const l = load.status === "fulfilled" ? load.value.value : { cpu: null, memory: null };
    return {
      devName: identity.value.value.name,
      devSerialId: identity.value.value.serial,
      cpuUtil: l.cpu ?? 0,
      memUtil: l.memory ?? 0,
      timestampType: "LCPU",
      ingress: ingress === undefined ? [] : [logical(ingress)],
      egress: snmpEgress(
        routes.status === "fulfilled" ? routes.value.value : [],
        ifaces,
        addrs,
        destinationOf(query.target),
        query.nextResponder,
      ),
    };
  }

  /** Always rejects with {@link MirrorUnsupportedError}: SNMP cannot mirror a flow. */
  startMirror(_target: ProbeTarget, _mirror: MirrorRequest): Promise<void> {
    return Promise.reject(new MirrorUnsupportedError(this.name));
  }

  /** Nothing to release: SNMP installs nothing on the devices. */
  release(_target: ProbeTarget): Promise<void> {
    return Promise.resolve();
  }

  /** Closes every device session. */
  async close(): Promise<void> {
    this.closed = true;
    for (const d of this.devices.values()) d.close();
    this.devices.clear();
  }
}
