/**
 * `flowlens hopd [-c FILE] [--host ADDR] [--port N] [--token-file FILE] [--check|--dump]` runs the hop daemon on a
 * Linux router (src/hopd/, docs/hopd.md): per-hop telemetry, flow counters and ERSPAN mirroring over an HTTP/JSON API
 * with a bearer token. The flags override the file (`http.host`, `http.port`, `auth.token-file`); a token is required
 * unless the configuration says `auth: none`. A bad configuration is refused before anything starts (one
 * `path: message` line per problem, exit 1).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import YAML from "yaml";
import { type HopdConfig, hopdConfigSchema } from "../../hopd/config.ts";
import { type RunningHopd, startHopd } from "../../hopd/hopd.ts";
import { HelperPacketSender } from "./helper-sender.ts";
import { type ConfigSource, checkConfig, dumpConfig, loadConfig } from "../../runtime/config.ts";
import { ConfigError, errorSummary } from "../../runtime/errors.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { createLogDestination, createLogger } from "../../runtime/logger.ts";

interface HopdOptions {
  config?: string;
  host?: string;
  port?: string;
  tokenFile?: string;
  check?: boolean;
  dump?: boolean;
}

type Source = ConfigSource<typeof hopdConfigSchema>;

const NAME = "flowlens hopd";

/**
 * The configuration source: the file's document with the flags written over it (so `--check`, `--dump` and errors
 * see them too).
 * @throws Error with a one-line message for an unreadable file or a bad `--port`.
 */
export function hopdSource(options: HopdOptions, env?: Source["env"]): Source {
  let document: Record<string, unknown> = {};
  if (options.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.config, "utf8");
    } catch (e) {
      throw new Error(`cannot read configuration file ${options.config} (${(e as NodeJS.ErrnoException).code})`);
    }
    const hasFlags = options.host !== undefined || options.port !== undefined || options.tokenFile !== undefined;
    if (!hasFlags) return { schema: hopdConfigSchema, file: options.config, text, ...(env ? { env } : {}) };
    const parsed: unknown = YAML.parse(text);
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${options.config}: expected a mapping`);
      document = parsed as Record<string, unknown>;
    }
  }
  const http = { ...((document.http as Record<string, unknown> | undefined) ?? {}) };
  if (options.host !== undefined) http.host = options.host;
  if (options.port !== undefined) {
    const port = Number(options.port);
    if (!/^\d+$/.test(options.port) || port > 65_535) throw new Error(`--port ${options.port}: expected 0..65535`);
    http.port = port;
  }
  if (Object.keys(http).length > 0) document.http = http;
  if (options.tokenFile !== undefined) document.auth = { "token-file": options.tokenFile };
  return {
    schema: hopdConfigSchema,
    file: options.config ?? "(flags)",
    text: YAML.stringify(document),
    ...(env ? { env } : {}),
  };
}

function printResult(result: { exitCode: 0 | 1; text: string; stream: "stdout" | "stderr" }): void {
  (result.stream === "stdout" ? process.stdout : process.stderr).write(result.text);
  process.exitCode = result.exitCode;
}

function fail(message: string): void {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exitCode = 1;
}

function loadOrReport(source: Source): HopdConfig | null {
  try {
    return loadConfig(source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    fail(`configuration refused:\n${e.message}`);
    return null;
  }
}

/** The bearer token of a configuration; null for `auth: none`; undefined when none is configured (refused). */
export function tokenOf(config: HopdConfig): string | null | undefined {
  if (config.auth === undefined) return undefined;
  if (config.auth === "none") return null;
  return (config.auth["token-file"] ?? config.auth["token-env"])!.reveal();
}

/** Runs hopd until SIGTERM/SIGINT (what `flowlens hopd` does after parsing its options). */
export async function runHopd(options: HopdOptions): Promise<void> {
  let source: Source;
  try {
    source = hopdSource(options);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (options.check) return printResult(checkConfig(source));
  if (options.dump) return printResult(dumpConfig(source));
  const config = loadOrReport(source);
  if (config === null) return;
  const token = tokenOf(config);
  if (token === undefined) {
    return fail(
      "a bearer token is required: --token-file FILE, or auth.token-file / auth.token-env (auth: none to run without)",
    );
  }
  const destination = createLogDestination();
  const logger = createLogger({ level: config["log-level"], name: "flowlens-hopd", destination });
  const lifecycle = new Lifecycle({ logger });
  let running: RunningHopd;
  try {
    running = await startHopd({
      config,
      token,
      logger,
      sender: (onSendError) => HelperPacketSender.start(config.mirror["helper-path"], onSendError),
    });
  } catch (e) {
    const { code, message } = errorSummary(e);
    return fail(`cannot start: ${message} (${code})`);
  }
  lifecycle.onDrain("hopd", () => running.stop());
  lifecycle.onReload("logs", () => destination.reopen());
  lifecycle.addStatsProvider("hopd", () => ({
    flowCounters: running.service.counters.size,
    mirrorSessions: running.service.mirrors.size,
  }));
  lifecycle.install();
  process.stderr.write(
    `${NAME}: API on ${running.address?.url} (${token === null ? "no authentication" : "bearer token"})\n`,
  );
}

/** Adds `hopd` to `program`. */
export function registerHopdCommand(program: Command): void {
  program
    .command("hopd")
    .description("run the hop daemon on a Linux router: hop telemetry, flow counters and ERSPAN mirrors (port 9090)")
    .option("-c, --config <file>", "YAML configuration (see docs/hopd.md)")
    .option("--host <addr>", "listen address: the router's management or router-id address")
    .option("--port <n>", "listen port (default 9090)")
    .option("--token-file <file>", "file holding the bearer token clients must send")
    .option("--check", "validate the configuration and exit")
    .option("--dump", "print the effective configuration (defaults applied, secrets redacted) and exit")
    .action((options: HopdOptions) => runHopd(options));
}
