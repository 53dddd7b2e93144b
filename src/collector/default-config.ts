/**
 * The embedded default configuration `flowlens up` runs: one collector interface listening on 127.0.0.1:2055 that takes
 * every exporter, writes record files under `<base>/flowc/` and "ships" them to a local archive directory through a
 * `file://` destination, with transfer logs under `<base>/log/flowc/`. No root, no external servers.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The default collector configuration as YAML, with every path under `baseDir` (made absolute). */
export function defaultCollectorConfigText(baseDir: string): string {
  const base = resolve(baseDir);
  const dir = (sub: string) => pathToFileURL(`${base}/${sub}/`).href;
  return `# flowlens collector: embedded default (flowlens up)
spool-directory: ${JSON.stringify(`${base}/flowc`)}
admin: { host: 127.0.0.1, port: 8082 }
interfaces:
  cp-0/0/0:
    listen: ["127.0.0.1:2055"]
    analyzer-address: 127.0.0.1
    analyzer-id: flowlens
    inputs:
      any-exporter: { exporter: any, if-alias: any }
    file-specification: { maximum-records: 100000, maximum-age: 60s }
    export-channels:
      "0":
        primary: { url: ${JSON.stringify(dir("export/primary"))} }
        secondary: { url: ${JSON.stringify(dir("export/secondary"))} }
        retry-count: 2
        retry-delay: 5s
transfer-log-archive:
  directory: ${JSON.stringify(`${base}/log/flowc`)}
  maximum-age: 10m
  archive-sites: [{ url: ${JSON.stringify(dir("export/transfer-logs"))} }]
  retry-interval: 5m
`;
}
