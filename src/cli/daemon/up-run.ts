/**
 * `flowlens up`: flowlens's main job on its embedded defaults, in one unprivileged process with no external servers:
 * the Compute Agent's CA API on 127.0.0.1:8080 over the simulated fabric (a simulation, labelled as such in `/version`),
 * with the dashboard at `/` reading this collector's admin API (docs/dashboard.md),
 * the flow collector on UDP 127.0.0.1:2055 with its files under `--data-dir`, and the exporter sending that same
 * fabric's traffic (simulated, sampled 1 in 100) to the collector as NetFlow v5 every 10 s, admin API on
 * 127.0.0.1:8083. Loaded only when `up` runs.
 */
import { defaultAgentConfigText } from "../../agent/default-config.ts";
import { agentConfigSchema } from "../../agent/config.ts";
import { startSimulatedAgent } from "./sim-agent.ts";
import { startCollector } from "../../collector/collector.ts";
import { collectorConfigSchema } from "../../collector/config.ts";
import { defaultCollectorConfigText } from "../../collector/default-config.ts";
import { exporterConfigSchema } from "../../exporter/config.ts";
import { defaultExporterConfigText } from "../../exporter/default-config.ts";
import { startExporter } from "../../exporter/exporter.ts";
import { checkConfig, dumpConfig, loadConfig } from "../../runtime/config.ts";
import { errorSummary } from "../../runtime/errors.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { createLogDestination, createLogger } from "../../runtime/logger.ts";
import type { DaemonOptions } from "./collector-run.ts";

function sources(dataDir: string) {
  return {
    agent: { schema: agentConfigSchema, text: defaultAgentConfigText(), file: "(embedded agent default)" },
    collector: {
      schema: collectorConfigSchema,
      text: defaultCollectorConfigText(dataDir),
      file: "(embedded collector default)",
    },
    exporter: { schema: exporterConfigSchema, text: defaultExporterConfigText(), file: "(embedded exporter default)" },
  };
}

/** Checks, dumps or runs the embedded defaults. */
export async function runUp(dataDir: string, options: DaemonOptions): Promise<void> {
  const src = sources(dataDir);
  if (options.check || options.dump) {
    const run = options.check ? checkConfig : dumpConfig;
    const results = [run(src.agent), run(src.collector), run(src.exporter)];
    process.stdout.write(`# agent\n${results[0].text}# collector\n${results[1].text}# exporter\n${results[2].text}`);
    process.exitCode = Math.max(...results.map((r) => r.exitCode));
    return;
  }
  const collectorConfig = loadConfig(src.collector);
  const destination = createLogDestination();
  const logger = createLogger({ level: collectorConfig["log-level"], name: "flowlens-up", destination });
  const lifecycle = new Lifecycle({ logger });
  let step = "collector";
  try {
    // The collector first: the agent's dashboard reads its admin API (docs/dashboard.md).
    const collector = await startCollector(collectorConfig, { logger });
    lifecycle.onDrain("collector", () => collector.stop());
    step = "agent";
    const agentConfig = loadConfig(src.agent);
    const dashboard = { ...agentConfig.dashboard, "collector-admin-url": collector.adminUrl };
    const agent = await startSimulatedAgent(
      { ...agentConfig, dashboard },
      { logger: logger.child({ component: "agent" }) },
    );
    lifecycle.onDrain("agent", () => agent.stop());
    step = "exporter";
    // The exporter reads the agent's own fabric, so exported flows and traced paths are one simulation.
    const exporterConfig = loadConfig(src.exporter);
    const exporter = await startExporter(exporterConfig, { logger, fabric: agent.fabric });
    lifecycle.onDrain("exporter", () => exporter.stop());
    lifecycle.onReload("logs", () => destination.reopen());
    lifecycle.addStatsProvider("collector", () => collector.control.interfaces());
    lifecycle.addStatsProvider("exporter", () => exporter.status());
    lifecycle.install();
    const listen = Object.values(collectorConfig.interfaces).flatMap((i) => i.listen);
    process.stderr.write(
      `flowlens up: Compute Agent API on ${agent.url} over a SIMULATED fabric (docs/sim.md), dashboard ${agent.url}/\n` +
        `  try: curl '${agent.url}/start/flow?dport=9000&src=10.1.1.1&dst=10.1.7.1&sport=4567&proto=tcp'\n` +
        `       curl '${agent.url}/data/flow?dport=9000&src=10.1.1.1&dst=10.1.7.1&sport=4567&proto=tcp'\n` +
        `flowlens up: collector listening on ${listen.join(", ")} (UDP, NetFlow v5/v8), admin API ${collector.adminUrl}\n` +
        `  try: flowlens show services flow-collector interface all detail --admin ${collector.adminUrl}\n` +
        `flowlens up: exporter sending the SIMULATED fabric's traffic as NetFlow v5 to 127.0.0.1:2055 every ` +
        `${exporterConfig.output.period / 1000} s, admin API ${exporter.adminUrl}\n` +
        "  stop with Ctrl-C (drains: closes open files and finishes transfers)\n",
    );
  } catch (e) {
    const { code, message } = errorSummary(e);
    process.stderr.write(`flowlens up: cannot start the ${step}: ${message} (${code})\n`);
    await lifecycle.drain().catch(() => undefined);
    process.exitCode = 1;
  }
}
