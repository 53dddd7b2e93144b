/**
 * The dashboard's routes on the agent (docs/dashboard.md):
 *
 * | route | answers |
 * | --- | --- |
 * | `GET /`, `/index.html`, `/app.js`, `/app.css` | the dashboard's files (ui-bundle.ts), `ETag` + `Cache-Control: no-cache` (304 on a match) |
 * | `GET /api/ui/events[?kind=&src=&dst=&...]` | server-sent events: one `round` event per completed round (the {@link PathFeed}) of the traces matching the filters |
 * | `GET /api/ui/collector/interfaces[/...]` | the collector admin API's `GET /api/v1/interfaces[/...]`, proxied |
 *
 * The files are open like `/version`; with a bearer token configured, `/api/ui/*` need it as the CA resources do. When
 * the dashboard is neither built nor buildable, its files answer 503 with a one-line reason. Errors are the daemon kit's
 * `{ "error": { "code", "message" } }`.
 */
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../runtime/logger.ts";
import type { BearerCheck } from "./bearer-auth.ts";
import type { PathFeed, PathRound } from "./path-feed.ts";
import { CaError } from "./return-codes.ts";
import {
  buildBundleInMemory,
  type EsbuildLike,
  packageRoot,
  readBuiltBundle,
  UI_FILES,
  type UiBundle,
  type UiFile,
  UiUnavailableError,
} from "./ui-bundle.ts";

/** Prefix of the dashboard's data routes. */
export const UI_API_PREFIX = "/api/ui";

/** Longest wait for the collector admin API, milliseconds. */
export const COLLECTOR_PROXY_TIMEOUT_MS = 5000;

/** Interval of the SSE keep-alive comment, milliseconds (proxies close idle streams). */
export const SSE_KEEPALIVE_MS = 15_000;

/** Bytes an event stream may have waiting for a slow client; rounds are skipped for it beyond that. */
export const SSE_MAX_BUFFERED_BYTES = 1 << 20;

/** Query parameters of `/api/ui/events` that select rounds: `kind`, and the fields of the flow or tunnel tuple. */
export const EVENT_FILTERS = ["kind", "src", "dst", "proto", "sport", "dport", "vnid", "appsrc", "appdst"] as const;

/** Whether `round` matches every filter given (values compared as text); no filter matches every round. */
export function roundMatches(round: PathRound, filters: ReadonlyMap<string, string>): boolean {
  for (const [name, value] of filters) {
    const actual = name === "kind" ? round.kind : (round.tuple as unknown as Record<string, unknown>)[name];
    if (actual === undefined || String(actual) !== value) return false;
  }
  return true;
}

/** Options of {@link registerWebRoutes}. */
export interface WebRoutesOptions {
  feed: PathFeed;
  /** The collector admin API (`http://127.0.0.1:8082`) the Collector view reads; without it that view says so. */
  collectorAdminUrl?: string;
  /** Present when a bearer token is configured: `/api/ui/*` require it. */
  auth?: BearerCheck;
  logger?: Logger;
  /** The package root holding `dist/web` and `src/web`; default: found from this module. */
  root?: string;
  /** Loads esbuild for an on-the-fly build; default `import("esbuild")`. */
  importEsbuild?: () => Promise<EsbuildLike>;
}

/** What one SSE `round` event carries (JSON): the {@link PathRound} as published. */
export type UiRoundEvent = PathRound;

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.status(status).type("application/json").send({ error: { code, message } });
}

/** Loads the bundle once; a failure is remembered (a missing esbuild does not appear while the agent runs). */
function bundleLoader(options: WebRoutesOptions): () => Promise<UiBundle> {
  let loading: Promise<UiBundle> | undefined;
  return () => {
    loading ??= (async () => {
      const root = options.root ?? packageRoot();
      const built = await readBuiltBundle(join(root, "dist/web"), join(root, "src/web"));
      if (built !== undefined) return built;
      const started = Date.now();
      const bundle = await buildBundleInMemory(root, options.importEsbuild);
      options.logger?.info({ ms: Date.now() - started }, "dashboard bundled from src/web (dist/web missing or stale)");
      return bundle;
    })();
    return loading;
  };
}

function registerFiles(app: FastifyInstance, options: WebRoutesOptions): void {
  const load = bundleLoader(options);
  const serve = (name: UiFile) => async (request: FastifyRequest, reply: FastifyReply) => {
    let bundle: UiBundle;
    try {
      bundle = await load();
    } catch (e) {
      const message = e instanceof UiUnavailableError ? e.message : "the dashboard cannot be loaded";
      if (!(e instanceof UiUnavailableError)) request.log.error({ err: e }, "dashboard load failed");
      return sendError(reply, 503, "ERR_UI_UNAVAILABLE", message);
    }
    const file = bundle.get(name)!;
    void reply
      .header("cache-control", "no-cache")
      .header("etag", file.etag)
      .header("x-content-type-options", "nosniff");
    if (name === "index.html") {
      void reply
        .header(
          "content-security-policy",
          "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
        )
        .header("referrer-policy", "no-referrer");
    }
    if (request.headers["if-none-match"] === file.etag) return reply.status(304).send();
    return reply.type(file.contentType).send(file.body);
  };
  app.get("/", serve("index.html"));
  for (const name of UI_FILES) app.get(`/${name}`, serve(name));
}

/** Checks the bearer token of a `/api/ui/*` request; answers 401 and returns false when it is wrong. */
function authorized(options: WebRoutesOptions, request: FastifyRequest, reply: FastifyReply): boolean {
  try {
    options.auth?.(request.headers.authorization);
    return true;
  } catch (e) {
    if (!(e instanceof CaError)) throw e;
    void reply.header("www-authenticate", 'Bearer realm="flowlens-agent"');
    void sendError(reply, 401, "ERR_UNAUTHORIZED", e.message);
    return false;
  }
}

function registerEvents(app: FastifyInstance, options: WebRoutesOptions): void {
  const open = new Set<() => void>();
  // End the streams before the server waits for its connections to close.
  app.addHook("preClose", (done) => {
    for (const end of open) end();
    done();
  });
  app.get(`${UI_API_PREFIX}/events`, (request, reply) => {
    if (!authorized(options, request, reply)) return reply;
    void reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    // The client reconnects after 2 s when the stream breaks.
    res.write("retry: 2000\n: flowlens agent path feed\n\n");
    const query = new URL(request.url, "http://agent").searchParams;
    const filters = new Map<string, string>();
    for (const name of EVENT_FILTERS) {
      const value = query.get(name);
      if (value !== null && value !== "") filters.set(name, value);
    }
    let seq = 0;
    const unsubscribe = options.feed.subscribe((round) => {
      if (!roundMatches(round, filters)) return;
      seq++;
      // A client that does not read is not allowed to grow the agent's memory: it misses rounds instead.
      if (res.writableLength > SSE_MAX_BUFFERED_BYTES) return;
      res.write(`id: ${seq}\nevent: round\ndata: ${JSON.stringify(round)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), SSE_KEEPALIVE_MS);
    keepAlive.unref();
    const end = () => {
      unsubscribe();
      clearInterval(keepAlive);
      open.delete(end);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    request.raw.on("close", end);
    res.on("error", end);
    return reply;
  });
}

/** `interfaces`, `interfaces/NAME`, `interfaces/NAME/inputs|files|channels` (NAME percent-encoded or not). */
const PROXIED_PATH = /^interfaces(\/[^?#]+)?$/;

function registerCollectorProxy(app: FastifyInstance, options: WebRoutesOptions): void {
  app.get(`${UI_API_PREFIX}/collector/*`, async (request: FastifyRequest<{ Params: { "*": string } }>, reply) => {
    if (!authorized(options, request, reply)) return reply;
    const base = options.collectorAdminUrl;
    if (base === undefined) {
      return sendError(
        reply,
        404,
        "ERR_COLLECTOR_NOT_CONFIGURED",
        "no collector admin API configured (dashboard.collector-admin-url)",
      );
    }
    // The raw (still percent-encoded) rest of the path, so interface names keep their encoded slashes.
    const raw = request.url.slice(`${UI_API_PREFIX}/collector/`.length).split("?", 1)[0]!;
    if (!PROXIED_PATH.test(raw) || raw.split("/").some((s) => s === ".." || s === ".")) {
      return sendError(reply, 404, "ERR_NOT_FOUND", `the collector view reads only interfaces[/...], not ${raw}`);
    }
    const target = `${base.replace(/\/+$/, "")}/api/v1/${raw}`;
    let answer: Response;
    try {
      answer = await fetch(target, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(COLLECTOR_PROXY_TIMEOUT_MS),
        redirect: "error",
      });
    } catch (e) {
      const why = e instanceof Error && e.name === "TimeoutError" ? "timed out" : "unreachable";
      return sendError(reply, 502, "ERR_COLLECTOR_UNREACHABLE", `the collector admin API at ${base} is ${why}`);
    }
    const text = await answer.text();
    try {
      JSON.parse(text);
    } catch {
      return sendError(
        reply,
        502,
        "ERR_COLLECTOR_BAD_ANSWER",
        `the collector admin API at ${base} did not answer JSON`,
      );
    }
    return reply.status(answer.status).header("cache-control", "no-store").type("application/json").send(text);
  });
}

/** Adds the dashboard's files, its live event stream and the collector proxy to `app`. */
export function registerWebRoutes(app: FastifyInstance, options: WebRoutesOptions): void {
  registerFiles(app, options);
  registerEvents(app, options);
  registerCollectorProxy(app, options);
}
