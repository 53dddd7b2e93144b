/**
 * Collectors in the scale-out roles for the suites: configurations on loopback ports with a `file://` archive as the
 * export destination, UDP sending of the v5 fixture datagrams, and the record lines that reached the archive (linkDir
 * cut off: it is random per file) with the lines the datagrams should give, for count and checksum comparisons; and
 * {@link scaleSuite}, a suite's temporary directory, nats-server nodes and collectors, all removed in `after`.
 */
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { type RunningCollector, startCollector } from "../../src/collector/collector.ts";
import { type CollectorConfig, collectorConfigSchema } from "../../src/collector/config.ts";
import { collectorFlowFieldsOf } from "../../src/collector/receive/record-mapping.ts";
import { createLogger, type Logger } from "../../src/runtime/logger.ts";
import type { ScaleOutStatus } from "../../src/scale/scale-status.ts";
import { encodeCollectorRecordLine } from "../../src/wire/collector-record.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { decodeNetflow } from "../../src/wire/netflow.ts";
import { v5Datagram } from "../helpers/netflow-v5-fixture.ts";
import { type NatsNode, startNatsCluster, startNatsServer } from "./nats-servers.ts";

/** Options of {@link scaleCollectorConfig}. */
export interface ScaleCollectorOptions {
  dir: string;
  role: "all" | "receiver" | "writer";
  udpPort: number;
  servers?: string[];
  replicas?: number;
  /** Writer ack-wait (default 3s, so lost acknowledgements are redelivered within a test). */
  ackWait?: string;
  bufferLimit?: string;
  /** Writer fetch-batch (default 64). */
  fetchBatch?: number;
  /** Archive directory the writer (or single process) ships to. */
  archive: string;
  /** `scale-out.processes` (receiver workers sharing the UDP port; default 1). */
  processes?: number;
  /** `log-level` (default warn). */
  logLevel?: string;
}

/** A validated collector configuration for one role; state under `dir`. */
export function scaleCollectorConfig(o: ScaleCollectorOptions): CollectorConfig {
  return collectorConfigSchema.parse(scaleCollectorDocument(o));
}

/** The configuration document of {@link scaleCollectorConfig} before validation (JSON is YAML: write it to a file). */
export function scaleCollectorDocument(o: ScaleCollectorOptions): Record<string, unknown> {
  return {
    "log-level": o.logLevel ?? "warn",
    "spool-directory": join(o.dir, "spool"),
    admin: { host: "127.0.0.1", port: 0 },
    interfaces: {
      "cp-1/0/0": {
        listen: [`127.0.0.1:${o.udpPort}`],
        "analyzer-address": "10.0.0.1",
        "analyzer-id": "scale",
        inputs: { "mo-1/0/0.0": { exporter: "any", "if-alias": "all" } },
        "file-specification": { "maximum-records": 5000, "maximum-age": "2s", "flush-interval": "200ms" },
        "export-channels": { "0": { primary: { url: `${pathToFileURL(o.archive).href}/` }, "retry-delay": "1s" } },
      },
    },
    "transfer-log-archive": { directory: join(o.dir, "log") },
    ...(o.role === "all"
      ? {}
      : {
          "scale-out": {
            role: o.role,
            ...(o.processes === undefined ? {} : { processes: o.processes }),
            nats: { servers: o.servers ?? [], "reconnect-wait": "100ms" },
            stream: { replicas: o.replicas ?? 1, "duplicate-window": "2m" },
            receiver: {
              "batch-records": 300,
              linger: "10ms",
              "publish-timeout": "2s",
              "buffer-limit": o.bufferLimit ?? "256MiB",
            },
            writer: { "ack-wait": o.ackWait ?? "3s", "fetch-batch": o.fetchBatch ?? 64 },
          },
        }),
  };
}

/** A logger that keeps its lines (tests print them on failure). */
export function quietLogger(lines: string[] = []): Logger {
  return createLogger({ level: "warn", destination: { write: (l: string) => lines.push(l) } });
}

/** Sends datagrams `from` to `to - 1` of the v5 fixture to 127.0.0.1:`port`, pausing now and then. */
export async function sendDatagrams(port: number, from: number, to: number): Promise<void> {
  const socket = createSocket("udp4");
  for (let d = from; d < to; d++) {
    await new Promise((r) => socket.send(v5Datagram(d), port, "127.0.0.1", r));
    if (d % 20 === 19) await new Promise((r) => setTimeout(r, 2));
  }
  socket.close();
}

/** Every record line in the archive's record files, without the linkDir field, sorted. */
export function archiveLines(archive: string): string[] {
  if (!existsSync(archive)) return [];
  return readdirSync(archive)
    .filter((f) => f.endsWith(".bcp.bi.gz"))
    .flatMap((f) =>
      gunzipSync(readFileSync(join(archive, f)))
        .toString("latin1")
        .split("\n")
        .filter((l) => l !== ""),
    )
    .map((l) => l.slice(l.indexOf("|") + 1))
    .sort();
}

/** The lines datagrams `from` to `to - 1` give in {@link scaleCollectorConfig}'s interface (sorted, no linkDir). */
export function expectedLines(from: number, to: number): string[] {
  const out: string[] = [];
  for (let d = from; d < to; d++) {
    for (const f of collectorFlowFieldsOf(decodeNetflow(v5Datagram(d)))) {
      const line = encodeCollectorRecordLine({
        linkDir: 0n,
        analyzerAddress: ipv4FromString("10.0.0.1"),
        analyzerId: "scale",
        ifAlias: "all",
        ...f,
      });
      out.push(line.slice(line.indexOf("|") + 1).replace(/\n$/, ""));
    }
  }
  return out.sort();
}

/** SHA-256 of sorted lines, hex. */
export function checksum(lines: readonly string[]): string {
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/** GET a JSON body from a collector's admin API. */
export async function adminJson<T>(url: string, path: string): Promise<T> {
  return (await (await fetch(`${url}${path}`)).json()) as T;
}

/** The collector options of {@link ScaleSuite.collector}: those of {@link scaleCollectorConfig} but the state directory. */
export type SuiteCollectorOptions = Omit<ScaleCollectorOptions, "dir">;

/**
 * What one scale-out suite started: a temporary directory (created in `before`), the nats-server nodes and the
 * collectors (stopped in `after`, the nodes by PID with SIGKILL, then the directory removed), and the lines every
 * collector logged (for failure diagnostics). Created by {@link scaleSuite}.
 */
export class ScaleSuite {
  /** Log lines of every collector started by {@link collector} (warn and above). */
  readonly logs: string[] = [];
  readonly #running: RunningCollector[] = [];
  readonly #nodes: NatsNode[] = [];
  #dir: string | undefined;

  /** Creates the directory; called from `before`. */
  open(tmpPrefix: string): void {
    this.#dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  }

  /** The suite's temporary directory (only after `before` ran). */
  get dir(): string {
    if (this.#dir === undefined) throw new Error("scale suite used before its `before` hook ran");
    return this.#dir;
  }

  /** `name` under the suite's directory (an archive, a state directory). */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** One JetStream server on a free port, store under the suite's directory; killed in `after`. */
  async natsServer(): Promise<NatsNode> {
    const node = await startNatsServer(this.dir);
    this.#nodes.push(node);
    return node;
  }

  /** A three-node JetStream cluster, stores under the suite's directory; every node killed in `after`. */
  async natsCluster(): Promise<NatsNode[]> {
    const nodes = await startNatsCluster(this.dir);
    this.#nodes.push(...nodes);
    return nodes;
  }

  /** Starts a collector with state under `<dir>/<name>` and its log into {@link logs}; stopped in `after`. */
  async collector(name: string, options: SuiteCollectorOptions): Promise<RunningCollector> {
    const config = scaleCollectorConfig({ ...options, dir: this.path(name) });
    const running = await startCollector(config, { logger: quietLogger(this.logs) });
    this.#running.push(running);
    return running;
  }

  /** Stops every collector started so far, in start order (so their last files are shipped), and forgets them. */
  async stopCollectors(): Promise<void> {
    for (const r of this.#running.splice(0)) await r.stop();
  }

  /** Stops what is left (collectors first, errors ignored; then the nodes), removes the directory; called from `after`. */
  async close(): Promise<void> {
    for (const c of this.#running.splice(0)) await c.stop().catch(() => undefined);
    for (const n of this.#nodes.splice(0)) await n.stop("SIGKILL");
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * A {@link ScaleSuite} whose `before` and `after` hooks are registered in the calling `describe` body (they run in
 * registration order with the suite's own hooks). `tmpPrefix` starts the temporary directory's name.
 */
export function scaleSuite(tmpPrefix: string): ScaleSuite {
  const suite = new ScaleSuite();
  before(() => suite.open(tmpPrefix));
  after(() => suite.close());
  return suite;
}

/** `GET /api/v1/scale-out` of a running collector. */
export async function scaleOutStatus(collector: RunningCollector): Promise<ScaleOutStatus> {
  return await adminJson<ScaleOutStatus>(collector.adminUrl, "/api/v1/scale-out");
}
