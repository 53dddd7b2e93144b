/**
 * The hop daemon assembled: configuration → {@link HopService} (readers, nftables counters, mirror sessions) → the
 * runtime HTTP base with the `/v1/` routes, metrics and readiness. {@link startHopd} clears stale nftables state and
 * listens; {@link RunningHopd.stop} removes every counter and mirror, deletes the table and closes the server.
 */
import { readFileSync } from "node:fs";
import { type ListenAddress, createHttpServer } from "../runtime/http.ts";
import type { Logger } from "../runtime/logger.ts";
import { Metrics, errorCounter } from "../runtime/metrics.ts";
import { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import { registerHopdRoutes } from "./api-routes.ts";
import type { HopdConfig } from "./config.ts";
import { HopService } from "./hop-service.ts";
import type { PacketSenderFactory } from "./packet-sender.ts";
import { type HopSystem, nodeSystem } from "./system.ts";

/** Options of {@link createHopd}. */
export interface HopdOptions {
  config: HopdConfig;
  /** The bearer token, or null for `auth: none`. */
  token: string | null;
  logger?: Logger;
  /** The operating system (default the real one; tests pass fakes). */
  system?: HopSystem;
  /**
   * Starts the mirror packet sender on the first mirror session (`flowlens hopd` gives the probe helper's,
   * src/cli/hopd/helper-sender.ts; hopd cannot build it itself, DESIGN.md's boundaries).
   */
  sender: PacketSenderFactory;
  metrics?: Metrics;
}

/** A hopd instance. */
export interface RunningHopd {
  readonly service: HopService;
  readonly server: ReturnType<typeof createHttpServer>;
  /** Listening address, after {@link RunningHopd.listen}. */
  address: ListenAddress | null;
  /** Clears stale state and starts listening. */
  listen(): Promise<ListenAddress>;
  /** Removes counters and mirrors, deletes the nftables table, closes the server. */
  stop(): Promise<void>;
}

/** Builds hopd without starting it (tests use `server.app.inject`). */
export function createHopd(options: HopdOptions): RunningHopd {
  const { config } = options;
  const metrics = options.metrics ?? new Metrics({ labels: { daemon: "hopd" } });
  const requests = metrics.counter("hopd_requests_total", "hopd API requests by route and status", {
    labelNames: ["route", "status"],
  });
  const mirrored = metrics.counter("hopd_mirrored_packets_total", "Packets mirrored to analyzers as ERSPAN");
  const failures = metrics.counter("hopd_mirror_failures_total", "Mirror captures that stopped on their own");
  const log =
    options.logger === undefined
      ? undefined
      : new RateLimitedLog(options.logger.child({ component: "hopd" }), { onOccurrence: errorCounter(metrics) });
  const source = config.mirror.source ?? config.http.host;
  const service = new HopService({
    system: options.system ?? nodeSystem,
    device: config.device,
    nftTable: config.counters["nft-table"],
    maxFlows: config.counters["max-flows"],
    mirror: {
      source,
      maxFrame: config.mirror["max-frame"],
      maxSessions: config.mirror["max-sessions"],
      sender: () => options.sender((line) => log?.warn("ERR_HOPD_MIRROR_SEND", `mirror send failed: ${line}`)),
      onPacket: () => mirrored.inc(),
      onFailure: (key, reason) => {
        failures.inc();
        log?.warn("ERR_HOPD_MIRROR", `mirror capture stopped: ${reason}`, { flow: key });
      },
    },
  });
  metrics.gauge("hopd_flow_counters", "Flow counters installed in nftables", {
    collect() {
      this.set(service.counters.size);
    },
  });
  metrics.gauge("hopd_mirror_sessions", "ERSPAN mirror sessions running", {
    collect() {
      this.set(service.mirrors.size);
    },
  });
  const tls =
    config.tls === undefined
      ? undefined
      : { cert: readFileSync(config.tls["cert-file"], "utf8"), key: config.tls["key-file"].reveal() };
  const server = createHttpServer({
    name: "flowlens-hopd",
    metrics,
    host: config.http.host,
    port: config.http.port,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(tls === undefined ? {} : { tls }),
  });
  server.addReadinessCheck("nftables", () =>
    service.started ? { ready: true } : { ready: false, detail: "nftables table not set up" },
  );
  registerHopdRoutes(server.app, service, options.token, {
    request: (route, status) => requests.inc({ route, status: String(status) }),
  });
  const running: RunningHopd = {
    service,
    server,
    address: null,
    async listen() {
      await service.start();
      running.address = await server.listen();
      return running.address;
    },
    async stop() {
      try {
        await service.stop();
      } finally {
        await server.close();
      }
    },
  };
  return running;
}

/** Builds and starts hopd (clears stale nftables state, listens). */
export async function startHopd(options: HopdOptions): Promise<RunningHopd> {
  const hopd = createHopd(options);
  try {
    await hopd.listen();
  } catch (e) {
    await hopd.stop().catch(() => {});
    throw e;
  }
  return hopd;
}
