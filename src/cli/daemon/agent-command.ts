/**
 * `flowlens agent -c FILE [--check|--dump]` runs the Compute Agent (the CA API of compute-agent-api.txt) on a
 * configuration file (src/agent/config.ts; default bind 127.0.0.1:8080). With `network: simulated` (the default) the
 * network is the simulated fabric, and the agent says so on start, in its logs and in `/version`; with `network: raw`
 * it probes the real network through the privileged helper (src/cli/daemon/raw-agent.ts), and a helper that is missing
 * or lacks CAP_NET_RAW is refused at start in one line (exit 1). A bad configuration is refused before anything starts
 * (one `path: message` line per problem, exit 1).
 */
import type { Command } from "commander";
import { type AgentConfig, agentConfigSchema } from "../../agent/config.ts";
import type { RunningAgent } from "../../agent/agent.ts";
import { describeTelemetryChain } from "../../agent/telemetry-config.ts";
import { startRawAgent } from "./raw-agent.ts";
import { startSimulatedAgent } from "./sim-agent.ts";
import { type ConfigSource, checkConfig, dumpConfig, loadConfig } from "../../runtime/config.ts";
import { ConfigError, errorSummary } from "../../runtime/errors.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { createLogDestination, createLogger } from "../../runtime/logger.ts";
import { agentNameOf } from "../../agent/subscription-routes.ts";

interface DaemonOptions {
  check?: boolean;
  dump?: boolean;
  config: string;
}

type Source = ConfigSource<typeof agentConfigSchema>;

function printResult(result: { exitCode: 0 | 1; text: string; stream: "stdout" | "stderr" }): void {
  (result.stream === "stdout" ? process.stdout : process.stderr).write(result.text);
  process.exitCode = result.exitCode;
}

function loadOrReport(source: Source): AgentConfig | null {
  try {
    return loadConfig(source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`flowlens agent: configuration refused:\n${e.message}\n`);
    process.exitCode = 1;
    return null;
  }
}

/** Runs the agent daemon on `source` until SIGTERM/SIGINT (what `flowlens agent` does after parsing its options). */
export async function runAgentDaemon(source: Source, options: { check?: boolean; dump?: boolean }): Promise<void> {
  if (options.check) return printResult(checkConfig(source));
  if (options.dump) return printResult(dumpConfig(source));
  const config = loadOrReport(source);
  if (config === null) return;
  const destination = createLogDestination();
  const logger = createLogger({ level: config["log-level"], name: "flowlens-agent", destination });
  const lifecycle = new Lifecycle({ logger });
  let running: RunningAgent;
  try {
    running =
      config.network === "raw"
        ? await startRawAgent(config, { logger })
        : await startSimulatedAgent(config, { logger });
  } catch (e) {
    const { code, message } = errorSummary(e);
    process.stderr.write(`flowlens agent: cannot start: ${message} (${code})\n`);
    process.exitCode = 1;
    return;
  }
  // scale-out: publish every round to JetStream (docs/scale-out.md)
  const scale = config["scale-out"] === undefined ? undefined : await import("../../scale/path-publisher.ts");
  const publisher = scale?.startAgentPathPublisher(config, agentNameOf(config), running.feed, logger);
  if (scale !== undefined && publisher !== undefined) scale.registerPathPublisherMetrics(running.metrics, publisher);
  lifecycle.onDrain("agent", async () => {
    await running.stop();
    await publisher?.close();
  });
  lifecycle.onReload("logs", () => destination.reopen());
  lifecycle.onReload("configuration", () => {
    loadConfig(source);
    logger.warn({ component: "agent" }, "configuration reloaded: restart the agent to apply it (SIGHUP reopens logs)");
  });
  lifecycle.addStatsProvider("agent", () => ({
    flows: running.registry.count("flow"),
    tunnels: running.registry.count("tunnel"),
  }));
  lifecycle.install();
  process.stderr.write(
    config.network === "raw"
      ? `flowlens agent: CA API on ${running.url} (network: raw probes through the helper; ${describeTelemetryChain(config.telemetry)})\n`
      : `flowlens agent: CA API on ${running.url} (network: simulated fabric; a simulation, not a network)\n` +
          `  try: curl '${running.url}/start/flow?dport=9000&src=10.1.1.1&dst=10.1.7.1&sport=4567&proto=tcp'\n`,
  );
}

/** Adds `agent` to `program`. */
export function registerAgentCommands(program: Command): void {
  program
    .command("agent")
    .description("run the Compute Agent: the CA flow path API (start/flow, data/flow...) on 127.0.0.1:8080")
    .requiredOption("-c, --config <file>", "YAML configuration (see docs/api.md)")
    .option("--check", "validate the configuration and exit")
    .option("--dump", "print the effective configuration (defaults applied, secrets redacted) and exit")
    .action((options: DaemonOptions) => runAgentDaemon({ schema: agentConfigSchema, file: options.config }, options));
  program
    .command("subscriber")
    .description("stream every agent's path rounds from NATS JetStream: POST /api/v1/subscription/subscribeAll (SSE)")
    .requiredOption("-c, --config <file>", "YAML configuration (see docs/scale-out.md)")
    .option("--check", "validate the configuration and exit")
    .option("--dump", "print the effective configuration (defaults applied, secrets redacted) and exit")
    .action(async (options: DaemonOptions) =>
      (await import("../../scale/subscriber-run.ts")).runSubscriber(options.config, options),
    );
}
