/**
 * The HTTP base every daemon serves: `/metrics` (Prometheus text of the process registry), `/healthz` (liveness: the
 * event loop answers), `/readyz` (readiness: 200 when every registered check passes, 503 listing the failing ones),
 * `/version`. Errors are JSON `{ "error": { "code", "message" } }`, never a stack trace. Daemons add their own routes
 * on `app` before `listen`.
 */
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyError, type FastifyInstance, LogController } from "fastify";
import { z } from "zod";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { readVersionInfo, type VersionInfo } from "./version-info.ts";

/** The outcome of one readiness check; `detail` says why it is not ready. */
export interface ReadinessStatus {
  readonly ready: boolean;
  readonly detail?: string;
}

/** A readiness check: true/false or a {@link ReadinessStatus}, possibly async; a throw counts as not ready. */
export type ReadinessCheck = () => boolean | ReadinessStatus | Promise<boolean | ReadinessStatus>;

/** The body of `/readyz`. */
export interface ReadinessReport {
  readonly status: "ready" | "not ready";
  /** Every check, in registration order. */
  readonly checks: readonly (ReadinessStatus & { readonly name: string })[];
  /** Names of the checks that are not ready. */
  readonly failing: readonly string[];
}

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  /** Daemon name for `/version`. */
  readonly name: string;
  /** The process's metrics, served on `/metrics`. */
  readonly metrics: Metrics;
  /** Fastify logs through this logger (component `http`); without it fastify does not log. */
  readonly logger?: Logger;
  /** Also log every request (at `info`); default false. */
  readonly logRequests?: boolean;
  /** Listen address; default `127.0.0.1`. */
  readonly host?: string;
  /** Listen port; default 0 (any free port, reported by `listen`). */
  readonly port?: number;
  /** `/version` body; default {@link readVersionInfo}. */
  readonly version?: VersionInfo;
  /** Time a readiness check may take before it counts as not ready, in milliseconds; default 2000. */
  readonly checkTimeoutMs?: number;
  /** Serve HTTPS with this PEM key and certificate (chain) instead of plain HTTP. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** Where a server listens. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
}

/** A daemon's HTTP server. */
export interface HttpServer {
  /** The fastify instance, for the daemon's own routes. */
  readonly app: FastifyInstance;
  /** Registers a readiness check under `name`; returns the function that removes it. */
  addReadinessCheck(name: string, check: ReadinessCheck): () => void;
  /** Runs every readiness check now (what `/readyz` answers). */
  readiness(): Promise<ReadinessReport>;
  /** Starts listening on the configured host and port; resolves with the actual address. */
  listen(): Promise<ListenAddress>;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Zod schema of an `http` configuration section: `host` (default `127.0.0.1`) and `port` (0 to 65535). */
export function httpListenSchema(defaultPort: number) {
  return z.strictObject({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65_535).default(defaultPort),
  });
}

/** Creates the server with the four base routes; it does not listen until `listen()`. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const https = options.tls === undefined ? {} : { https: { key: options.tls.key, cert: options.tls.cert } };
  const app = (options.logger === undefined
    ? Fastify({ logger: false, ...https })
    : Fastify({
        loggerInstance: options.logger.child({ component: "http" }),
        logController: new LogController({ disableRequestLogging: !(options.logRequests ?? false) }),
        ...https,
      })) as unknown as FastifyInstance;
  const checks = new Map<string, ReadinessCheck>();
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const version = options.version ?? readVersionInfo(options.name);
  const readiness = () => runChecks(checks, timeoutMs);

  installErrorHandlers(app);
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const report = await readiness();
    return reply.status(report.status === "ready" ? 200 : 503).send(report);
  });
  app.get("/version", async () => version);
  app.get("/metrics", async (_request, reply) =>
    reply.header("content-type", options.metrics.contentType).send(await options.metrics.text()),
  );

  return {
    app,
    addReadinessCheck(name, check) {
      if (checks.has(name)) throw new TypeError(`readiness check ${name} is already registered`);
      checks.set(name, check);
      return () => {
        if (checks.get(name) === check) checks.delete(name);
      };
    },
    readiness,
    async listen() {
      const host = options.host ?? "127.0.0.1";
      await app.listen({ host, port: options.port ?? 0 });
      const address = app.server.address() as AddressInfo;
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
      const scheme = options.tls === undefined ? "http" : "https";
      return { host: address.address, port: address.port, url: `${scheme}://${shown}:${address.port}` };
    },
    close: () => app.close(),
  };
}

function installErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: { code: "ERR_NOT_FOUND", message: `no route for ${request.method} ${request.url}` } });
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const hasCode = typeof error.code === "string" && error.code !== "";
    if (status >= 500) request.log.error({ err: error }, "request failed");
    // Messages of uncoded 5xx errors may describe internals; only typed errors carry operator-facing text.
    const message = status < 500 || hasCode ? error.message.split("\n", 1)[0] : "internal server error";
    const code = hasCode ? error.code : status < 500 ? "ERR_BAD_REQUEST" : "ERR_INTERNAL";
    void reply.status(status).send({ error: { code, message } });
  });
}

async function runChecks(checks: ReadonlyMap<string, ReadinessCheck>, timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    [...checks].map(async ([name, check]) => ({ name, ...(await runCheck(check, timeoutMs)) })),
  );
  const failing = results.filter((r) => !r.ready).map((r) => r.name);
  return { status: failing.length === 0 ? "ready" : "not ready", checks: results, failing };
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessStatus>((resolve) => {
    timer = setTimeout(
      () => resolve({ ready: false, detail: `check did not answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(check), timeout]);
    if (typeof outcome === "boolean") return { ready: outcome };
    return outcome.detail === undefined ? { ready: outcome.ready } : { ready: outcome.ready, detail: outcome.detail };
  } catch (e) {
    return { ready: false, detail: e instanceof Error ? e.message.split("\n", 1)[0]! : String(e) };
  } finally {
    clearTimeout(timer);
  }
}
