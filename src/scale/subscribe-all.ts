/**
 * `POST /api/v1/subscription/subscribeAll` (the DLE subscription the CA spec names in its "Flow Path Analytics Data"
 * section; its request and response are flowlens's own, documented in docs/scale-out.md): a long-lived response of
 * server-sent events (`text/event-stream`) carrying every completed path round, served by an agent (its own rounds) or
 * by `flowlens subscriber` (every agent's rounds, from the JetStream path stream).
 *
 * Request body (JSON, optional; `{}` or empty means everything new):
 * `{ "agents": ["host-a"], "kinds": ["flow", "tunnel"], "deliver": "new" | "all" }`. `deliver: all` (subscriber only)
 * starts at the oldest round the stream keeps; a `Last-Event-ID` header resumes after that event (subscriber only).
 *
 * Events: first `event: subscribed` (data: the effective request and `source`), then one `event: path` per round (data: a
 * {@link PathRoundMessage}, `id`: `<stream sequence>` or `<agent>:<round number>`), and a `: keepalive` comment every
 * 15 s. A client that reads too slowly (more than 16 MiB unsent) is disconnected after an `event: overflow`.
 */
import type { ServerResponse } from "node:http";
import { z } from "zod";
import type { PathRoundMessage } from "./path-message.ts";
import { ScaleError } from "./scale-errors.ts";

/** The route path. */
export const SUBSCRIBE_ALL_PATH = "/api/v1/subscription/subscribeAll";

/** The request body schema (unknown keys refused). */
export const subscribeAllRequestSchema = z.strictObject({
  agents: z.array(z.string().min(1).max(100)).min(1).max(1000).optional(),
  kinds: z
    .array(z.enum(["flow", "tunnel"]))
    .min(1)
    .default(["flow", "tunnel"]),
  deliver: z.enum(["new", "all"]).default("new"),
});

/** A validated subscribeAll request. */
export type SubscribeAllRequest = z.output<typeof subscribeAllRequestSchema>;

/**
 * Validates a request body (undefined, null or "" count as `{}`).
 * @throws ScaleError `ERR_SCALE_REQUEST` with a one-line `path: message`.
 */
export function parseSubscribeAllRequest(body: unknown): SubscribeAllRequest {
  const r = subscribeAllRequestSchema.safeParse(body === undefined || body === null || body === "" ? {} : body);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new ScaleError("ERR_SCALE_REQUEST", `${i.path.join(".") || "(body)"}: ${i.message}`);
}

/** Whether a round passes the request's filters. */
export function wanted(request: SubscribeAllRequest, m: PathRoundMessage): boolean {
  return request.kinds.includes(m.kind) && (request.agents === undefined || request.agents.includes(m.agent));
}

/** Unsent bytes after which a subscriber is cut off. */
export const SSE_OVERFLOW_BYTES = 16 * 1024 * 1024;

/** One server-sent event stream on a raw HTTP response. */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #timer: NodeJS.Timeout;
  #closed = false;
  readonly #onClose: (() => void)[] = [];

  /** Writes the status line and headers; sends a keepalive comment every `keepaliveMs` (default 15 s). */
  constructor(res: ServerResponse, keepaliveMs = 15_000) {
    this.#res = res;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.flushHeaders();
    this.#timer = setInterval(() => this.#write(": keepalive\n\n"), keepaliveMs);
    this.#timer.unref();
    res.on("close", () => this.close());
  }

  /** True once the client went away or {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls `f` once when the stream closes. */
  onClose(f: () => void): void {
    if (this.#closed) f();
    else this.#onClose.push(f);
  }

  /** Sends one event (`data` as JSON on one line). */
  send(event: string, data: unknown, id?: string): void {
    const head = id === undefined ? "" : `id: ${id.replace(/[\r\n]/g, "")}\n`;
    this.#write(`${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (!this.#closed && this.#res.writableLength > SSE_OVERFLOW_BYTES) {
      this.#write(`event: overflow\ndata: ${JSON.stringify({ message: "client too slow; reconnect" })}\n\n`);
      this.close();
    }
  }

  /** Ends the response. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#res.end();
    for (const f of this.#onClose.splice(0)) f();
  }

  #write(text: string): void {
    if (!this.#closed) this.#res.write(text);
  }
}
