/**
 * The exporter daemon (`flowlens exporter -c FILE`): the capture sources read in order into the pipeline
 * (exporter-engine.ts), NetFlow v5/v8 sent to every cflowd host, paced over each period as
 * spec/cflowd-flow-aggregation.txt says, and the admin API on loopback (`/metrics`, `/healthz`, `/readyz`,
 * `/version`, and `GET /api/v1/exporter` with the status as JSON). After the last source the timeline follows the wall
 * clock, so the flows still in the cache time out and are exported as on a router. Stopping (SIGTERM) ends every flow
 * in the cache, closes the period and sends everything pending at once, then closes the sockets.
 */
import { createHttpServer, type HttpServer } from "../runtime/http.ts";
import type { Logger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import type { ExporterConfig } from "./config.ts";
import { ExporterEngine } from "./exporter-engine.ts";
import { registerExporterMetrics } from "./exporter-metrics.ts";
import type { ExporterStatus } from "./exporter-status.ts";
import type { SimTrafficFabric } from "./sim-traffic-source.ts";

/** Options of {@link startExporter}. */
export interface StartExporterOptions {
  logger: Logger;
  /** Time a stop gives the send queue to empty, ms (default 8000). */
  drainTimeoutMs?: number;
  /** Most datagrams sent per second over all hosts, 0 = no limit (default 10 000). */
  sendRate?: number;
  /** The live capture command before tcpdump's arguments (default `["tcpdump"]`). */
  captureCommand?: readonly string[];
  /** The fabric whose traffic `input.simulation` exports (the caller closes it after `stop`). */
  fabric?: SimTrafficFabric;
}

/** A running exporter. */
export interface RunningExporter {
  /** `http://host:port` of the admin API. */
  readonly adminUrl: string;
  /** Resolves when every source has been read (failed sources included). */
  readonly sourcesDone: Promise<void>;
  /** The counters now. */
  status(): ExporterStatus;
  /** Stops reading, exports everything held and pending, closes (SIGTERM). */
  stop(): Promise<void>;
}

/**
 * Starts the exporter: loads the route record, opens the export sockets and the local dump, starts the admin API and
 * the timeline, and begins reading the sources in the background.
 * @throws when the route record, a host, the dump file or the admin port cannot be opened (all closed again).
 */
export async function startExporter(config: ExporterConfig, options: StartExporterOptions): Promise<RunningExporter> {
  const log = options.logger.child({ component: "exporter" });
  if (config["port-mirroring"] !== undefined) {
    log.warn("port-mirroring is configured but not performed: it needs live capture, which comes with issue 6");
  }
  const engine = await ExporterEngine.open(config, {
    logger: options.logger,
    sendRate: options.sendRate,
    captureCommand: options.captureCommand,
    fabric: options.fabric,
  });
  let http: HttpServer | undefined;
  try {
    const metrics = new Metrics();
    http = createHttpServer({ name: "flowlens-exporter", metrics, logger: options.logger, ...config.admin });
    registerExporterMetrics(metrics, () => engine.status());
    http.app.get("/api/v1/exporter", async () => engine.status());
    http.addReadinessCheck("exporting", () => true);
    const address = await http.listen();
    engine.start(await engine.startTime());
    return running(engine, http, address.url, log, options);
  } catch (e) {
    await http?.close().catch(() => undefined);
    await engine.close();
    throw e;
  }
}

function running(
  engine: ExporterEngine,
  http: HttpServer,
  url: string,
  log: Logger,
  options: StartExporterOptions,
): RunningExporter {
  const abort = new AbortController();
  const sourcesDone = engine.readSources(abort.signal, true).then(
    () => log.info({ sources: engine.sources.length }, "capture sources read; following the wall clock"),
    (e: unknown) => {
      if (!abort.signal.aborted) log.error({ err: (e as Error).message }, "reading sources failed");
    },
  );
  log.info({ admin: url, hosts: engine.config.output.cflowd.length }, "exporter started");
  let stopping: Promise<void> | undefined;
  return {
    adminUrl: url,
    sourcesDone,
    status: () => engine.status(),
    stop: () => {
      stopping ??= (async () => {
        abort.abort();
        await sourcesDone;
        await engine.finish("now", AbortSignal.timeout(options.drainTimeoutMs ?? 8000));
        const s = engine.status();
        await engine.close();
        await http.close();
        log.info({ flows: s.flows.ended, hosts: s.hosts }, "exporter stopped");
      })();
      return stopping;
    },
  };
}
