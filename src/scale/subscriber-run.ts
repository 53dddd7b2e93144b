/**
 * The action of `flowlens subscriber -c FILE [--check|--dump]` (registered in src/cli/daemon/agent-command.ts): loads
 * the configuration (subscriber-server.ts), serves subscribeAll from the JetStream path stream until SIGTERM/SIGINT.
 * A bad configuration is refused in `path: message` lines (exit 1).
 */
import { runDaemon } from "../runtime/lifecycle.ts";
import { startSubscriber, subscriberConfigSchema } from "./subscriber-server.ts";

/** Checks, dumps or runs the subscriber on configuration file `file`. */
export async function runSubscriber(file: string, options: { check?: boolean; dump?: boolean }): Promise<void> {
  await runDaemon({
    name: "subscriber",
    source: { schema: subscriberConfigSchema, file },
    options,
    async start(config, { logger, lifecycle }) {
      const running = await startSubscriber(config, logger);
      lifecycle.onDrain("subscriber", () => running.stop());
      return `flowlens subscriber: POST ${running.url}/api/v1/subscription/subscribeAll`;
    },
  });
}
