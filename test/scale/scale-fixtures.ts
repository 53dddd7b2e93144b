/**
 * Collectors in the scale-out roles for the suites: configurations on loopback ports with a `file://` archive as the
 * export destination, UDP sending of the v5 fixture datagrams, and the record lines that reached the archive (linkDir
 * cut off: it is random per file) with the lines the datagrams should give, for count and checksum comparisons.
 */
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { type CollectorConfig, collectorConfigSchema } from "../../src/collector/config.ts";
import { collectorFlowFieldsOf } from "../../src/collector/receive/record-mapping.ts";
import { createLogger, type Logger } from "../../src/runtime/logger.ts";
import { encodeCollectorRecordLine } from "../../src/wire/collector-record.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { decodeNetflow } from "../../src/wire/netflow.ts";
import { v5Datagram } from "../helpers/netflow-v5-fixture.ts";

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
}

/** A validated collector configuration for one role; state under `dir`. */
export function scaleCollectorConfig(o: ScaleCollectorOptions): CollectorConfig {
  return collectorConfigSchema.parse({
    "log-level": "warn",
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
  });
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
