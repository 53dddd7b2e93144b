/**
 * Daemon wiring of the agent on the simulated fabric (`src/sim/`): list/flow's flow source from the fabric's own flows,
 * and {@link startSimulatedAgent}, which builds a fabric (the default topology or one from a YAML file) and starts the
 * agent on it; what `flowlens agent` runs while no real transport exists and what `flowlens up` runs. `/version` and
 * every log line say the network is simulated. It lives in src/cli because it joins two parts that may not import each
 * other (src/agent and src/sim: DESIGN.md's boundaries).
 */
import { readFileSync } from "node:fs";
import YAML from "yaml";
import type { Logger } from "../../runtime/logger.ts";
import type { Metrics } from "../../runtime/metrics.ts";
import { createSimFabric, type SimFabric } from "../../sim/index.ts";
import { type RunningAgent, startAgent } from "../../agent/agent.ts";
import type { AgentClock } from "../../agent/clock.ts";
import type { AgentConfig } from "../../agent/config.ts";
import type { FlowSource, SniffedFlow } from "../../agent/flow-source.ts";

/** list/flow's flows from the fabric's configured application flows (plain and VXLAN overlay). */
export function simFlowSource(fabric: SimFabric): FlowSource {
  return {
    name: "sim",
    flows: () =>
      fabric.flows().map((f): SniffedFlow => {
        const flow: SniffedFlow = {
          sip: f.src,
          dip: f.dst,
          proto: f.proto,
          sport: f.sport,
          dport: f.dport,
          firstSeenMs: f.firstSeenMs,
          lastSeenMs: f.lastSeenMs,
        };
        const o = f.overlay;
        if (o !== null) {
          flow.overlay = {
            vnid: o.vnid,
            vmSmac: o.appsmac,
            vmDmac: o.appdmac,
            vmSip: o.appsrc,
            vmDip: o.appdst,
            vmProto: o.appProto,
            vmSport: o.appSport,
            vmDport: o.appDport,
          };
        }
        return flow;
      }),
  };
}

/** Options of {@link startSimulatedAgent}. */
export interface SimulatedAgentOptions {
  logger: Logger;
  /** A fabric to use (the caller closes it); default: one built from `config.simulation`. */
  fabric?: SimFabric;
  clock?: AgentClock;
  metrics?: Metrics;
}

/** A running agent on the simulated fabric. */
export interface RunningSimulatedAgent extends RunningAgent {
  readonly fabric: SimFabric;
}

/**
 * Reads the topology file of `config.simulation` (YAML), or undefined for the default topology.
 * @throws Error naming the file when it cannot be read or parsed.
 */
export function loadSimTopology(config: AgentConfig): unknown {
  const file = config.simulation["topology-file"];
  if (file === undefined) return undefined;
  try {
    return YAML.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`simulation.topology-file ${file}: ${(e as Error).message.split("\n", 1)[0]}`);
  }
}

/**
 * Starts the agent on a simulated fabric; `stop()` stops the agent and closes the fabric it built.
 * @throws SimConfigError for an invalid topology; whatever `startAgent` throws.
 */
export async function startSimulatedAgent(
  config: AgentConfig,
  options: SimulatedAgentOptions,
): Promise<RunningSimulatedAgent> {
  const clock = options.clock;
  const fabric =
    options.fabric ??
    createSimFabric({ topology: loadSimTopology(config), ...(clock === undefined ? {} : { now: () => clock.now() }) });
  const owned = options.fabric === undefined;
  try {
    const agent = await startAgent(config, {
      transport: fabric.transport,
      telemetry: fabric.telemetry,
      flowSource: simFlowSource(fabric),
      logger: options.logger,
      ...(clock === undefined ? {} : { clock }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    });
    return {
      ...agent,
      fabric,
      stop: async () => {
        await agent.stop();
        if (owned) await fabric.close();
      },
    };
  } catch (e) {
    if (owned) await fabric.close();
    throw e;
  }
}
