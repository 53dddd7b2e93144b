/**
 * Daemon wiring of the agent on a real network (`network: raw`, issue 6): probes through the raw transport
 * (src/probe/raw-transport.ts, the privileged helper `native/build/flowlens-probe` unless `raw.helper-path` says
 * otherwise), hop telemetry from the provider chain of the `telemetry` section (src/telemetry/provider-chain.ts: hopd,
 * else SNMP, else ICMP only: address and latency per hop, `NO_TELEMETRY`), and list/flow from the host's own sockets
 * (`/proc/net`) plus the overlay (VXLAN) flows the helper captures on the underlay (src/agent/host-flow-source.ts).
 * It lives in src/cli because it joins parts that src/agent does not construct itself (DESIGN.md's boundaries).
 */
import { type RunningAgent, startAgent } from "../../agent/agent.ts";
import { type AgentClock, systemClock } from "../../agent/clock.ts";
import type { AgentConfig } from "../../agent/config.ts";
import { OverlayMetrics, telemetryFallbackCounter } from "../../agent/agent-metrics.ts";
import { startHostFlowSource } from "../../agent/host-flow-source.ts";
import { type RawTransport, type RawTransportOptions, createRawTransport } from "../../probe/raw-transport.ts";
import type { Logger } from "../../runtime/logger.ts";
import { Metrics } from "../../runtime/metrics.ts";
import { createTelemetryChain } from "../../telemetry/chain-from-config.ts";
import { HopdProvider } from "../../telemetry/hopd-provider.ts";
import type { ProviderChain } from "../../telemetry/provider-chain.ts";

/** Options of {@link startRawAgent}. */
export interface RawAgentOptions {
  logger: Logger;
  /** Command prefix the helper runs under, e.g. `["ip", "netns", "exec", "lab-h1"]` (tests); default none. */
  helperWrapper?: readonly string[];
  clock?: AgentClock;
  metrics?: Metrics;
}

/** A running agent on the raw transport; `stop()` (and `close()`) also closes the helper and the provider. */
export interface RunningRawAgent extends RunningAgent {
  readonly transport: RawTransport;
  readonly telemetry: ProviderChain;
}

/**
 * Starts the probe helper, then the agent on it with the configured telemetry chain and list/flow from the host.
 * @throws HelperUnavailableError (`ERR_PROBE_HELPER_UNAVAILABLE`) when the helper is not built, lacks CAP_NET_RAW or
 *   fails to start (nothing is left running); whatever `startAgent` throws (the helper is closed first).
 */
export async function startRawAgent(config: AgentConfig, options: RawAgentOptions): Promise<RunningRawAgent> {
  const log = options.logger.child({ component: "probe-helper" });
  const transportOptions: RawTransportOptions = { onError: (line) => log.warn({ line }, "probe helper error") };
  const helperPath = config.raw["helper-path"];
  if (helperPath !== undefined) transportOptions.helperPath = helperPath;
  if (options.helperWrapper !== undefined) transportOptions.wrapper = options.helperWrapper;
  // Hop telemetry (issue 7, docs/telemetry.md): hopd, else SNMP, else ICMP only, per the `telemetry` section. Built
  // before the helper starts (a bad section fails here, nothing to undo); it opens nothing until its first hop.
  const telemetryLog = options.logger.child({ component: "telemetry" });
  const metrics = options.metrics ?? new Metrics();
  const countFallback = telemetryFallbackCounter(metrics);
  const telemetry = createTelemetryChain(config.telemetry, {
    hopd: (o) => new HopdProvider(o),
    onFallback: (e) => {
      countFallback(e.kind);
      telemetryLog.warn({ provider: e.kind, hop: e.responder, err: e.reason }, "hop telemetry failed; trying the next");
    },
  });
  const transport = await createRawTransport(transportOptions);
  // list/flow: the host's sockets plus the overlay (VXLAN) flows the helper captures on the underlay.
  const flowSource = await startHostFlowSource({
    config,
    clock: options.clock ?? systemClock,
    capture: transport.helper.ready.capture ? transport.helper : null,
    onCaptureError: (err) => log.warn({ err }, "overlay capture unavailable: list/flow lists the host's sockets only"),
    // flowlens_agent_overlay_* (docs/api.md, "Metrics"): decodes, skips by reason, evictions, capture state.
    overlayEvents: new OverlayMetrics(metrics),
  });
  try {
    const agent = await startAgent(config, {
      transport,
      telemetry,
      flowSource,
      logger: options.logger,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      metrics,
    });
    const stop = async (): Promise<void> => {
      try {
        await agent.stop();
      } finally {
        await flowSource.close?.();
        await transport.close();
        await telemetry.close();
      }
    };
    return { ...agent, transport, telemetry, stop, close: stop };
  } catch (e) {
    await flowSource.close?.();
    await transport.close();
    throw e;
  }
}
