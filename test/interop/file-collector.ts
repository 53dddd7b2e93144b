/**
 * The flowlens collector of the interop tests: in process, one interface cp-6/0/0 on 127.0.0.1 port 0 (input
 * mo-7/1/0.0 for any exporter, if-alias so_3_0_0_0, analyzer server1), shipping to a file:// archive under `dir`; and
 * the one file it shipped, parsed.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { type RunningCollector, startCollector } from "../../src/collector/collector.ts";
import { collectorConfigSchema } from "../../src/collector/config.ts";
import { loadConfig } from "../../src/runtime/config.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { type ParsedCollectorRecord, parseCollectorRecords } from "../../src/wire/collector-record.ts";

/** Starts the collector with its spool, archive and transfer log under `dir`; `port` is the UDP port it bound. */
export async function startFileCollector(dir: string): Promise<{ running: RunningCollector; port: number }> {
  const text = `spool-directory: ${JSON.stringify(join(dir, "spool"))}
admin: { host: 127.0.0.1, port: 0 }
interfaces:
  cp-6/0/0:
    listen: ["127.0.0.1:0"]
    analyzer-address: 10.10.10.1
    analyzer-id: server1
    inputs: { mo-7/1/0.0: { exporter: any, if-alias: so_3_0_0_0 } }
    export-channels:
      "0": { primary: { url: ${JSON.stringify(`${pathToFileURL(join(dir, "archive")).href}/`)} }, retry-delay: 1s }
transfer-log-archive: { directory: ${JSON.stringify(join(dir, "log"))} }
`;
  const config = loadConfig({ schema: collectorConfigSchema, text, env: {} });
  const running = await startCollector(config, { logger: createLogger({ level: "warn" }) });
  const port = Number(running.control.interfaces()[0].listeners[0].address.split(":").pop());
  return { running, port };
}

/** The single `.bcp.bi.gz` file in `dir`/archive (asserts there is exactly one): its name and its records. */
export function shippedFile(dir: string): { name: string; records: ParsedCollectorRecord[] } {
  const files = readdirSync(join(dir, "archive")).filter((f) => f.endsWith(".bcp.bi.gz"));
  assert.equal(files.length, 1);
  const name = files[0];
  const records = parseCollectorRecords(gunzipSync(readFileSync(join(dir, "archive", name))).toString("latin1"));
  return { name, records };
}
