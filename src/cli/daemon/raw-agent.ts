/**
 * Daemon wiring of the agent on a real network (`network: raw`, issue 6): probes through the raw transport
 * (src/probe/raw-transport.ts, the privileged helper `native/build/flowlens-probe` unless `raw.helper-path` says
 * otherwise), hop telemetry from the ICMP-only provider (src/telemetry/icmp-only.ts: address and latency per hop,
 * `NO_TELEMETRY`, until issue 7 brings hopd and SNMP), and list/flow from the host's own sockets (`/proc/net`). It lives
 * in src/cli because it joins parts that src/agent does not construct itself (DESIGN.md's boundaries).
 */
import { type RunningAgent, startAgent } from "../../agent/agent.ts";
import type { AgentClock } from "../../agent/clock.ts";
import type { AgentConfig } from "../../agent/config.ts";
import { type RawTransport, type RawTransportOptions, createRawTransport } from "../../probe/raw-transport.ts";
import type { Logger } from "../../runtime/logger.ts";
import type { Metrics } from "../../runtime/metrics.ts";
import { type IcmpOnlyTelemetry, createIcmpOnlyTelemetry } from "../../telemetry/icmp-only.ts";

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
  readonly telemetry: IcmpOnlyTelemetry;
}

/**
 * Starts the probe helper, then the agent on it with ICMP-only telemetry and list/flow from the host.
 * @throws HelperUnavailableError (`ERR_PROBE_HELPER_UNAVAILABLE`) when the helper is not built, lacks CAP_NET_RAW or
 *   fails to start (nothing is left running); whatever `startAgent` throws (the helper is closed first).
 */
export async function startRawAgent(config: AgentConfig, options: RawAgentOptions): Promise<RunningRawAgent> {
  const log = options.logger.child({ component: "probe-helper" });
  const transportOptions: RawTransportOptions = { onError: (line) => log.warn({ line }, "probe helper error") };
  const helperPath = config.raw["helper-path"];
  if (helperPath !== undefined) transportOptions.helperPath = helperPath;
  if (options.helperWrapper !== undefined) transportOptions.wrapper = options.helperWrapper;
  const transport = await createRawTransport(transportOptions);
  const telemetry = createIcmpOnlyTelemetry();
  try {
    const agent = await startAgent(config, {
      transport,
      telemetry,
      logger: options.logger,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    });
    const stop = async (): Promise<void> => {
      try {
        await agent.stop();
      } finally {
        await transport.close();
        await telemetry.close();
      }
    };
    return { ...agent, transport, telemetry, stop, close: stop };
  } catch (e) {
    await transport.close();
    throw e;
  }
}
