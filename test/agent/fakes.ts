/**
 * Test doubles of the agent's contracts: a manual clock, a small fake network implementing the probe transport (a
 * fixed router path per destination, silent hops, answers lost on early tries, a gate that holds batches) and the
 * telemetry provider (an ECMP group with a LAG at the first hop, counters growing with time), a fixed flow source, and a
 * helper that builds an agent on them for fastify `inject`.
 */
import { after } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import type { AgentClock, CancelTimer } from "../../src/agent/clock.ts";
import { buildAgent, type Agent } from "../../src/agent/agent.ts";
import { type AgentConfig, agentConfigSchema } from "../../src/agent/config.ts";
import type { FlowSource, SniffedFlow } from "../../src/agent/flow-source.ts";
import type { ProbeBatchOptions, ProbeReply, ProbeTarget, ProbeTransport } from "../../src/probe/transport.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import type {
  HopQuery,
  HopTelemetry,
  InterfaceCounters,
  MirrorRequest,
  TelemetryProvider,
} from "../../src/telemetry/provider.ts";

/** Lets pending promise callbacks and I/O callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told; timers fire in time order, promises settling between them. */
export class ManualClock implements AgentClock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<Timer>();

  constructor(startMs = 1_442_517_345_882) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, fn: () => void): CancelTimer {
    const timer = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn };
    this.#timers.add(timer);
    return () => this.#timers.delete(timer);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way (and those they set) in time order; timers due at the
   * same moment fire together, then promises settle.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      let at = Number.POSITIVE_INFINITY;
      for (const t of this.#timers) if (t.at < at) at = t.at;
      if (at > end) break;
      const due = [...this.#timers].filter((t) => t.at === at).sort((a, b) => a.seq - b.seq);
      this.#now = Math.max(this.#now, at);
      for (const t of due) {
        this.#timers.delete(t);
        t.fn();
      }
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** One router of the fake network. */
export interface FakeRouter {
  address: string;
  device: string;
}

/** A fake network: every destination is reached through `routers` (or a per-destination path). */
export class FakeNetwork implements ProbeTransport, TelemetryProvider {
  readonly name = "fake";
  readonly simulated = true;
  /** Router path used for every destination without its own. */
  routers: FakeRouter[] = [
    { address: "10.0.1.1", device: "leaf1" },
    { address: "10.0.2.1", device: "spine1" },
    { address: "10.0.3.1", device: "leaf3" },
  ];
  /** Paths by destination address. */
  readonly paths = new Map<string, FakeRouter[]>();
  /** TTLs that never answer. */
  readonly silent = new Set<number>();
  /** TTL → number of first tries whose answer is lost. */
  readonly lossyTries = new Map<number, number>();
  /** Every batch sent: the TTLs and the attempt. */
  readonly batches: { target: ProbeTarget; ttls: number[]; attempt: number; timeoutMs: number }[] = [];
  /** When set, batches wait for it (or for their abort signal). */
  gate: Promise<void> | null = null;
  /** Concurrent batches right now / at most. */
  inFlight = 0;
  maxInFlight = 0;
  readonly hopQueries: HopQuery[] = [];
  readonly mirrors: { target: ProbeTarget; mirror: MirrorRequest }[] = [];
  readonly released: ProbeTarget[] = [];
  /** When set, release waits for it. */
  releaseGate: Promise<void> | null = null;
  /** Devices whose telemetry is unknown (hop answers null). */
  readonly unmanaged = new Set<string>();

  constructor(readonly clock: AgentClock) {}

  pathTo(target: ProbeTarget): FakeRouter[] {
    const dst = target.kind === "flow" ? target.flow.dst : target.tunnel.dst;
    return this.paths.get(dst) ?? this.routers;
  }

  async probe(target: ProbeTarget, options: ProbeBatchOptions): Promise<ProbeReply[]> {
    this.batches.push({ target, ttls: [...options.ttls], attempt: options.attempt, timeoutMs: options.timeoutMs });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate !== null) await Promise.race([this.gate, aborted(options.signal)]);
      if (options.signal?.aborted) return options.ttls.map((ttl) => timeout(ttl));
      return options.ttls.map((ttl) => this.#answer(target, ttl, options.attempt));
    } finally {
      this.inFlight--;
    }
  }

  #answer(target: ProbeTarget, ttl: number, attempt: number): ProbeReply {
    const path = this.pathTo(target);
    if (this.silent.has(ttl) || attempt <= (this.lossyTries.get(ttl) ?? 0)) return timeout(ttl);
    const now = this.clock.now();
    const receivedAt = { sec: Math.floor(now / 1000), usec: Math.floor((now % 1000) * 1000) };
    const rttSeconds = 0.002 * Math.min(ttl, path.length + 1);
    if (ttl <= path.length) {
      return { ttl, outcome: "time-exceeded", responder: path[ttl - 1]!.address, rttSeconds, receivedAt };
    }
    const dst = target.kind === "flow" ? target.flow.dst : target.tunnel.dst;
    return { ttl, outcome: "destination", responder: dst, rttSeconds, receivedAt };
  }

  async hop(query: HopQuery): Promise<HopTelemetry | null> {
    this.hopQueries.push(query);
    const router = this.pathTo(query.target).find((r) => r.address === query.responder);
    if (router === undefined || this.unmanaged.has(router.device)) return null;
    const now = this.clock.now();
    const ifl = (name: string, rate: number) => ({ name, counters: counters(now, rate) });
    const first = this.pathTo(query.target)[0] === router;
    const telemetry: HopTelemetry = {
      devName: router.device,
      devSerialId: `SN-${router.device}`,
      cpuUtil: 20,
      memUtil: 15.5,
      timestampType: "LCPU",
      ingress: [ifl("ge-0/0/0.0", 100)],
      egress: first
        ? {
            members: [ifl("xe-0/0/18.0", 10), ifl("xe-0/0/8.0", 20)],
            numBuckets: 3,
            l2Ecmp: [{ aeName: "ae0.0", members: [ifl("xe-0/0/14.0", 30), ifl("xe-0/0/16.0", 40)], numBuckets: 2 }],
            chosen: "xe-0/0/14.0",
          }
        : { members: [ifl("xe-0/0/4.0", 50)], numBuckets: 1, l2Ecmp: [] },
    };
    if (query.bwIngress) telemetry.bandwidth = { counter: Math.floor(now / 1000), id: 612761622 };
    return telemetry;
  }

  async startMirror(target: ProbeTarget, mirror: MirrorRequest): Promise<void> {
    this.mirrors.push({ target, mirror });
  }

  async release(target: ProbeTarget): Promise<void> {
    if (this.releaseGate !== null) await this.releaseGate;
    this.released.push(target);
  }

  async close(): Promise<void> {}
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function timeout(ttl: number): ProbeReply {
  return { ttl, outcome: "timeout", responder: null, rttSeconds: null, receivedAt: null };
}

/** Counters of an interface carrying `pps` packets of 1000 bytes per second since epoch 0 (rates come out exact). */
export function counters(nowMs: number, pps: number): InterfaceCounters {
  const pkts = Math.floor((nowMs / 1000) * pps);
  return {
    txPkts: pkts,
    rxPkts: 2 * pkts,
    txUcPkts: pkts,
    rxUcPkts: 2 * pkts,
    txBcPkts: 1,
    rxBcPkts: 2,
    txMcPkts: 3,
    rxMcPkts: 4,
    txCrcError: 0,
    rxCrcError: 0,
    txDropPkt: 0,
    rxDropPkt: 1,
    txBytes: pkts * 1000,
    rxBytes: 2 * pkts * 1000,
    sampledAtMs: nowMs,
  };
}

/** A flow source with fixed flows. */
export class FakeFlowSource implements FlowSource {
  readonly name = "fake";
  flowList: SniffedFlow[] = [];
  failure: Error | null = null;

  flows(): readonly SniffedFlow[] {
    if (this.failure !== null) throw this.failure;
    return this.flowList;
  }
}

/** An agent on the fakes, not listening (use `agent.app.inject`). */
export interface TestAgent {
  agent: Agent;
  clock: ManualClock;
  network: FakeNetwork;
  flows: FakeFlowSource;
  metrics: Metrics;
  /** GET `url` with optional headers and client address; returns the inject response. */
  get(
    url: string,
    options?: { originator?: string; address?: string; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
}

/**
 * A {@link testAgent} factory whose agents are all closed by an `after` hook registered where this is called (a test
 * file's top level or a `describe` body).
 */
export function agentsClosedAfter(): (config?: Record<string, unknown>) => TestAgent {
  const agents: TestAgent[] = [];
  after(() => Promise.all(agents.map((a) => a.agent.close())));
  return (config = {}) => {
    const a = testAgent(config);
    agents.push(a);
    return a;
  };
}

/** Builds a test agent; `config` is YAML-shaped input for the agent schema. */
export function testAgent(config: Record<string, unknown> = {}): TestAgent {
  const clock = new ManualClock();
  const network = new FakeNetwork(clock);
  const flows = new FakeFlowSource();
  const metrics = new Metrics({ defaultMetrics: false });
  const parsed: AgentConfig = agentConfigSchema.parse({ "list-flow": { source: "network" }, ...config });
  const agent = buildAgent(parsed, {
    transport: network,
    telemetry: network,
    flowSource: flows,
    logger: createLogger({ level: "silent" }),
    clock,
    metrics,
  });
  return {
    agent,
    clock,
    network,
    flows,
    metrics,
    get: (url, options = {}) =>
      agent.app.inject({
        method: "GET",
        url,
        headers: {
          ...(options.originator === undefined ? {} : { originator: options.originator }),
          ...options.headers,
        },
        ...(options.address === undefined ? {} : { remoteAddress: options.address }),
      }),
  };
}
