/**
 * The Compute Agent daemon core (issue 5): the CA API (api-routes.ts) on the runtime's HTTP base (`/metrics`,
 * `/healthz`, `/readyz`, `/version`), the trace registry with its probe scheduler over a {@link ProbeTransport} and a
 * {@link TelemetryProvider}, the global probe budget, and list/flow's flow source. `/version` says whether the network
 * is simulated. The caller owns the transport and the provider (and closes them after `stop`).
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { Counter } from "prom-client";
import type { ProbeTransport } from "../probe/transport.ts";
import { createHttpServer, type HttpServer } from "../runtime/http.ts";
import type { Logger } from "../runtime/logger.ts";
import { errorCounter, Metrics } from "../runtime/metrics.ts";
import { type OccurrenceCounter, RateLimitedLog } from "../runtime/rate-limited-log.ts";
import { readVersionInfo, type VersionInfo } from "../runtime/version-info.ts";
import type { TelemetryProvider } from "../telemetry/provider.ts";
import { AgentMetrics } from "./agent-metrics.ts";
import { registerCaRoutes } from "./api-routes.ts";
import { registerSubscriptionRoutes } from "./subscription-routes.ts";
import { registerTracesRoute } from "./traces-route.ts";
import { registerWebRoutes } from "./web-routes.ts";
import { PathFeed } from "./path-feed.ts";
import { bearerCheck } from "./bearer-auth.ts";
import { type AgentClock, systemClock } from "./clock.ts";
import type { ParameterLimits } from "./collection-params.ts";
import type { AgentConfig } from "./config.ts";
import type { FlowSource } from "./flow-source.ts";
import { ProbeLimiter } from "./probe-limiter.ts";
import { ProcNetFlowSource } from "./proc-net-flows.ts";
import { RateTracker } from "./rate-tracker.ts";
import { TraceRegistry } from "./registry.ts";

/** What the agent runs on. */
export interface AgentDeps {
  transport: ProbeTransport;
  telemetry: TelemetryProvider;
  /** The network's own flows (the simulated fabric's), for list/flow; else the host's sockets are read. */
  flowSource?: FlowSource;
  logger: Logger;
  /** Default: the system clock. */
  clock?: AgentClock;
  /** Default: a new registry with the process metrics. */
  metrics?: Metrics;
}

/** `/version` of the agent: the runtime's fields plus what the network is. */
export interface AgentVersionInfo extends VersionInfo {
  /** True when probes go through the simulated fabric, not a network. */
  readonly simulated: boolean;
  /** `simulated fabric`, or the transport's name (`raw`). */
  readonly network: string;
}

/** A built (not yet listening) agent. */
export interface Agent {
  readonly http: HttpServer;
  /** The fastify instance (tests use `inject`). */
  readonly app: FastifyInstance;
  readonly registry: TraceRegistry;
  readonly metrics: Metrics;
  /** Every completed round's Path (dashboard live updates, subscribeAll, scale-out publishing). */
  readonly feed: PathFeed;
  /** Stops every trace (releasing their counters and mirrors) and closes the HTTP server. */
  close(): Promise<void>;
}

/** A listening agent. */
export interface RunningAgent extends Agent {
  /** `http://host:port` of the CA API. */
  readonly url: string;
  /** Same as `close`. */
  stop(): Promise<void>;
}

/** The parameter limits a configuration sets. */
export function limitsOf(config: AgentConfig): ParameterLimits {
  return {
    minSfreqMs: config.limits["min-sfreq"],
    maxSfreqMs: config.limits["max-sfreq"],
    maxNtry: config.limits["max-ntry"],
    maxTimeoutMs: config.limits["max-timeout"],
  };
}

function chooseFlowSource(config: AgentConfig, deps: AgentDeps, clock: AgentClock): FlowSource {
  const source = config["list-flow"].source;
  // auto: the flows the daemon wiring gives (the simulated fabric's; on `network: raw` the host's sockets plus its
  // sniffed overlay flows, src/agent/host-flow-source.ts), else the host's sockets.
  if (source === "network" || (source === "auto" && deps.flowSource !== undefined)) {
    if (deps.flowSource === undefined) throw new TypeError("list-flow.source is network but the network has no flows");
    return deps.flowSource;
  }
  return new ProcNetFlowSource({
    clock,
    retentionMs: config["list-flow"].retention,
    sniffIntervalMs: config["list-flow"]["sniff-interval"],
  });
}

/** Counts error occurrences in `flowlens_errors_total`, sharing the counter when the process already has one. */
function occurrenceCounter(metrics: Metrics): OccurrenceCounter {
  const existing = metrics.registry.getSingleMetric(`${metrics.prefix}errors_total`) as Counter | undefined;
  if (existing === undefined) return errorCounter(metrics);
  return (component, code) => existing.inc({ component, code });
}

/** The `/version` body. */
export function agentVersion(transport: ProbeTransport): AgentVersionInfo {
  return {
    ...readVersionInfo("flowlens-agent"),
    simulated: transport.simulated,
    network: transport.simulated ? "simulated fabric" : transport.name,
  };
}

/**
 * Builds the agent without listening.
 * @throws TypeError when list-flow.source is `network` and no flow source is given.
 */
export function buildAgent(config: AgentConfig, deps: AgentDeps): Agent {
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? new Metrics();
  const logger = deps.logger.child({ component: "agent" });
  const flowSource = chooseFlowSource(config, deps, clock);
  const ownsFlowSource = flowSource !== deps.flowSource;
  const feed = new PathFeed();
  let registry: TraceRegistry | undefined;
  const agentMetrics = new AgentMetrics(metrics, (kind) => registry?.count(kind) ?? 0);
  registry = new TraceRegistry({
    deps: {
      clock,
      transport: deps.transport,
      telemetry: deps.telemetry,
      limiter: new ProbeLimiter(clock, config.limits["probes-per-second"]),
      rates: new RateTracker(),
      events: agentMetrics,
      log: new RateLimitedLog(logger, { onOccurrence: occurrenceCounter(metrics) }),
      telemetryTimeoutMs: config.limits["telemetry-timeout"],
      feed,
    },
    maxActive: config.limits["max-active-flows"],
    releaseTimeoutMs: config.limits["telemetry-timeout"],
  });
  const http = createHttpServer({
    name: "flowlens-agent",
    metrics,
    logger: deps.logger,
    host: config.http.host,
    port: config.http.port,
    version: agentVersion(deps.transport),
    ...(config.tls === undefined
      ? {}
      : { tls: { cert: readFileSync(config.tls["cert-file"], "utf8"), key: config.tls["key-file"].reveal() } }),
  });
  const token = config.auth?.["token-file"] ?? config.auth?.["token-env"];
  registerCaRoutes(http.app, {
    registry,
    flowSource,
    limits: limitsOf(config),
    metrics: agentMetrics,
    clock,
    ...(token === undefined ? {} : { auth: bearerCheck(token.reveal()) }),
  });
  registerTracesRoute(http.app, {
    registry,
    metrics: agentMetrics,
    ...(token === undefined ? {} : { auth: bearerCheck(token.reveal()) }),
  });
  registerSubscriptionRoutes(http.app, config, {
    feed,
    clock,
    ...(token === undefined ? {} : { auth: bearerCheck(token.reveal()) }),
  });
  if (config.dashboard.enabled) {
    registerWebRoutes(http.app, {
      feed,
      logger,
      ...(config.dashboard["collector-admin-url"] === undefined
        ? {}
        : { collectorAdminUrl: config.dashboard["collector-admin-url"] }),
      ...(token === undefined ? {} : { auth: bearerCheck(token.reveal()) }),
    });
  }
  const built = registry;
  return {
    http,
    app: http.app,
    registry: built,
    metrics,
    feed,
    async close() {
      await built.close();
      if (ownsFlowSource) await flowSource.close?.();
      await http.close();
    },
  };
}

/**
 * Builds the agent and listens on `config.http`; what `flowlens agent` and `flowlens up` run.
 * @throws when the address cannot be bound (nothing is left running then).
 */
export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<RunningAgent> {
  const agent = buildAgent(config, deps);
  let url: string;
  try {
    url = (await agent.http.listen()).url;
  } catch (e) {
    await agent.close();
    throw e;
  }
  deps.logger.info({ component: "agent", url, network: agentVersion(deps.transport).network }, "agent started");
  return { ...agent, url, stop: () => agent.close() };
}
