/**
 * The action of `flowlens subscriber -c FILE [--check|--dump]` (registered in src/cli/daemon/agent-command.ts): loads
 * the configuration (subscriber-server.ts), serves subscribeAll from the JetStream path stream until SIGTERM/SIGINT.
 * A bad configuration is refused in `path: message` lines (exit 1).
 */
import { type ConfigSource, checkConfig, dumpConfig, loadConfig } from "../runtime/config.ts";
import { ConfigError, errorSummary } from "../runtime/errors.ts";
import { Lifecycle } from "../runtime/lifecycle.ts";
import { createLogDestination, createLogger } from "../runtime/logger.ts";
import { type SubscriberConfig, startSubscriber, subscriberConfigSchema } from "./subscriber-server.ts";

function print(result: { exitCode: 0 | 1; text: string; stream: "stdout" | "stderr" }): void {
  (result.stream === "stdout" ? process.stdout : process.stderr).write(result.text);
  process.exitCode = result.exitCode;
}

/** Checks, dumps or runs the subscriber on configuration file `file`. */
export async function runSubscriber(file: string, options: { check?: boolean; dump?: boolean }): Promise<void> {
  const source: ConfigSource<typeof subscriberConfigSchema> = { schema: subscriberConfigSchema, file };
  if (options.check) return print(checkConfig(source));
  if (options.dump) return print(dumpConfig(source));
  let config: SubscriberConfig;
  try {
    config = loadConfig(source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`flowlens subscriber: configuration refused:\n${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const destination = createLogDestination();
  const logger = createLogger({ level: config["log-level"], name: "flowlens-subscriber", destination });
  const lifecycle = new Lifecycle({ logger });
  try {
    const running = await startSubscriber(config, logger);
    lifecycle.onDrain("subscriber", () => running.stop());
    lifecycle.onReload("logs", () => destination.reopen());
    lifecycle.install();
    process.stderr.write(`flowlens subscriber: POST ${running.url}/api/v1/subscription/subscribeAll\n`);
  } catch (e) {
    const { code, message } = errorSummary(e);
    process.stderr.write(`flowlens subscriber: cannot start: ${message} (${code})\n`);
    process.exitCode = 1;
  }
}
