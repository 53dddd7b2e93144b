/**
 * The agent's Prometheus metrics (DESIGN.md conventions: `flowlens_` prefix, base units, no per-flow labels):
 * active traces by kind, rounds by kind and outcome, probes sent, probe timeouts, telemetry and mirror failures, round
 * duration, API calls by resource and return code; and the overlay sniffer's ({@link OverlayMetrics}).
 */
import type { Counter, Gauge, Histogram } from "prom-client";
import type { Metrics } from "../runtime/metrics.ts";
import {
  OVERLAY_CAPTURE_STATES,
  OVERLAY_SKIP_REASONS,
  type OverlayCaptureState,
  type OverlayEvents,
  type OverlaySkipReason,
} from "./overlay-flows.ts";
import type { ReturnCodeName } from "./return-codes.ts";
import type { TraceKind } from "./trace-entry.ts";
import type { RoundOutcome, TraceEvents } from "./trace-runner.ts";

/** The nine CA resources (compute-agent-api.txt, Table 3), as metric label values. */
export const CA_RESOURCES = [
  "list/flow",
  "start/flow",
  "stop/flow",
  "data/flow",
  "active/flow",
  "start/tunnel",
  "stop/tunnel",
  "data/tunnel",
  "active/tunnel",
] as const;

/** One of {@link CA_RESOURCES}. */
export type CaResource = (typeof CA_RESOURCES)[number];

/** The flowlens extension resources counted beside {@link CA_RESOURCES}: `api/v1/traces` (docs/api.md). */
export type ExtensionResource = "api/v1/traces";

/** The agent's metrics on a process registry; also the runners' {@link TraceEvents}. */
export class AgentMetrics implements TraceEvents {
  readonly #rounds: Counter<"kind" | "outcome">;
  readonly #roundSeconds: Histogram;
  readonly #probes: Counter;
  readonly #timeouts: Counter;
  readonly #telemetryErrors: Counter;
  readonly #mirrorErrors: Counter;
  readonly #api: Counter<"resource" | "code">;

  /** @param activeCount reads the number of active traces of a kind at scrape time. */
  constructor(metrics: Metrics, activeCount: (kind: TraceKind) => number) {
    metrics.gauge("agent_active_flows", "Flows and tunnel flows being traced, by kind", {
      labelNames: ["kind"],
      collect() {
        this.set({ kind: "flow" }, activeCount("flow"));
        this.set({ kind: "tunnel" }, activeCount("tunnel"));
      },
    });
    this.#rounds = metrics.counter("agent_rounds_total", "Probe rounds finished, by kind and outcome", {
      labelNames: ["kind", "outcome"],
    });
    this.#roundSeconds = metrics.histogram("agent_round_duration_seconds", "Time from a round's start to its Path", {
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    });
    this.#probes = metrics.counter("agent_probes_sent_total", "Probes sent (each TTL of each try)");
    this.#timeouts = metrics.counter(
      "agent_probe_timeouts_total",
      "Probes to hops before the destination that got no answer within their timeout",
    );
    this.#telemetryErrors = metrics.counter(
      "agent_telemetry_errors_total",
      "Hop telemetry queries that failed or timed out",
    );
    this.#mirrorErrors = metrics.counter("agent_mirror_errors_total", "Mirror installations that failed");
    this.#api = metrics.counter("agent_api_requests_total", "CA API requests, by resource and return code", {
      labelNames: ["resource", "code"],
    });
  }

  round(kind: TraceKind, outcome: RoundOutcome, durationSeconds: number): void {
    this.#rounds.inc({ kind, outcome });
    this.#roundSeconds.observe(durationSeconds);
  }

  probes(sent: number, timeouts: number): void {
    this.#probes.inc(sent);
    if (timeouts > 0) this.#timeouts.inc(timeouts);
  }

  telemetryError(): void {
    this.#telemetryErrors.inc();
  }

  mirrorError(): void {
    this.#mirrorErrors.inc();
  }

  /** Counts one API call; `code` is the return code answered (`EOK` for data/* and list/active successes). */
  apiCall(resource: CaResource | ExtensionResource, code: ReturnCodeName): void {
    this.#api.inc({ resource, code });
  }
}

/**
 * Registers `flowlens_agent_telemetry_fallbacks_total{provider}` (a telemetry provider failed for a hop and the chain
 * moved on to the next one, or to ICMP only; docs/telemetry.md) on `metrics`; returns the function that counts one.
 * Labelled by provider kind only (`hopd`, `snmp`): never by hop or flow.
 */
export function telemetryFallbackCounter(metrics: Metrics): (provider: string) => void {
  const counter = metrics.counter<"provider">(
    "agent_telemetry_fallbacks_total",
    "Hop telemetry queries a provider failed, so the chain went on to the next provider (or ICMP only), by provider",
    { labelNames: ["provider"] },
  );
  return (provider) => counter.inc({ provider });
}

/**
 * The overlay (VXLAN) sniffer's metrics (overlay-flows.ts, list/flow on `network: raw`), on `metrics`:
 * `flowlens_agent_overlay_datagrams_decoded_total`, `flowlens_agent_overlay_datagrams_skipped_total{reason}` (every
 * {@link OVERLAY_SKIP_REASONS} value from 0), `flowlens_agent_overlay_flows_evicted_total`, the gauge
 * `flowlens_agent_overlay_flows` (flows remembered) and `flowlens_agent_overlay_capture_state{state}` (1 for the
 * current {@link OverlayCaptureState}, 0 for the others; `stopped` until the capture starts). Labels are bounded: no
 * per-flow ones.
 */
export class OverlayMetrics implements OverlayEvents {
  readonly #decoded: Counter;
  readonly #skipped: Counter<"reason">;
  readonly #evicted: Counter;
  readonly #flows: Gauge;
  readonly #state: Gauge<"state">;

  constructor(metrics: Metrics) {
    this.#decoded = metrics.counter(
      "agent_overlay_datagrams_decoded_total",
      "Captured VXLAN datagrams decoded into an overlay flow",
    );
    this.#skipped = metrics.counter(
      "agent_overlay_datagrams_skipped_total",
      "Captured datagrams that gave no overlay flow, by reason",
      { labelNames: ["reason"] },
    );
    for (const reason of OVERLAY_SKIP_REASONS) this.#skipped.inc({ reason }, 0);
    this.#evicted = metrics.counter(
      "agent_overlay_flows_evicted_total",
      "Overlay flows forgotten before their retention because the flow table was full",
    );
    this.#flows = metrics.gauge("agent_overlay_flows", "Overlay flows remembered for list/flow");
    this.#state = metrics.gauge(
      "agent_overlay_capture_state",
      "State of the overlay capture: 1 for the current state, 0 for the others",
      { labelNames: ["state"] },
    );
    this.captureState("stopped");
  }

  decoded(): void {
    this.#decoded.inc();
  }

  skipped(reason: OverlaySkipReason): void {
    this.#skipped.inc({ reason });
  }

  evicted(): void {
    this.#evicted.inc();
  }

  flows(count: number): void {
    this.#flows.set(count);
  }

  captureState(state: OverlayCaptureState): void {
    for (const s of OVERLAY_CAPTURE_STATES) this.#state.set({ state: s }, s === state ? 1 : 0);
  }
}
