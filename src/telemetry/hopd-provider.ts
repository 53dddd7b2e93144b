/**
 * The hopd telemetry provider (issue 7): asks `flowlens hopd` on the Linux routers of the path for each hop's
 * telemetry over its HTTP/JSON API (docs/hopd.md) with a bearer token.
 *
 * - Routers are configured by the responder addresses they own: each {@link HopdRouter} `match`es an address or a CIDR
 *   prefix; the first match of `query.responder` is asked. No match: `hop()` answers null, so a provider chain can fall
 *   back to SNMP or ICMP alone.
 * - `hop()` sends the responder (hopd finds the ingress interface from it) and the next responder (hopd infers the
 *   egress from it when its kernel cannot say); an unreachable router or a timeout is a {@link HopdUnreachableError},
 *   an error answer a {@link HopdRequestError}. Answers are cached for `cacheMs` per router, responder, flow and
 *   `bwIngress`.
 * - `startMirror()` asks every router already used for the target, and remembers the request: later `hop()` queries
 *   carry it, so routers first met afterwards start the mirror too (the agent installs mirrors before its first round).
 *   `release()` asks every router used for the target (its counter and mirror are removed) and forgets the target.
 * Requests use Node's fetch with `AbortSignal.timeout(timeoutMs)`.
 */
import { z } from "zod";
import { ipv4FromString } from "../wire/ipv4-address.ts";
import type { ProbeTarget } from "../probe/transport.ts";
import type { HopQuery, HopTelemetry, MirrorRequest, TelemetryProvider } from "./provider.ts";

/** One router running hopd. */
export interface HopdRouter {
  /** An address or CIDR prefix of hop responder addresses (`10.255.1.1`, `10.1.1.0/24`). */
  match: string;
  /** The hopd API, `http://ADDR:9090`. */
  url: string;
  /** The bearer token. */
  token: string;
}

/** Options of {@link HopdProvider}. */
export interface HopdProviderOptions {
  routers: HopdRouter[];
  /** Longest wait for one request, milliseconds (default 3000). */
  timeoutMs?: number;
  /** How long a hop answer is reused, milliseconds (default 500; 0 to never reuse). */
  cacheMs?: number;
}

/** A router could not be reached in time (`ERR_TELEMETRY_HOPD_UNREACHABLE`): connection refused, timeout, DNS... */
export class HopdUnreachableError extends Error {
  /** Stable error code. */
  readonly code = "ERR_TELEMETRY_HOPD_UNREACHABLE";
  /** The router's URL. */
  readonly url: string;
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`hopd at ${url} unreachable: ${reason}`, options);
    this.name = "HopdUnreachableError";
    this.url = url;
  }
}

/** A router answered with an error or with something that is not hopd's answer (`ERR_TELEMETRY_HOPD_REQUEST`). */
export class HopdRequestError extends Error {
  /** Stable error code. */
  readonly code = "ERR_TELEMETRY_HOPD_REQUEST";
  /** The router's URL. */
  readonly url: string;
  /** HTTP status (0 for an unreadable answer). */
  readonly status: number;
  /** hopd's own error code, when it sent one (`ERR_HOPD_UNAUTHORIZED`...). */
  readonly hopdCode: string | undefined;
  constructor(url: string, status: number, hopdCode: string | undefined, message: string) {
    super(`hopd at ${url}: ${message}${hopdCode === undefined ? "" : ` (${hopdCode})`}`);
    this.name = "HopdRequestError";
    this.url = url;
    this.status = status;
    this.hopdCode = hopdCode;
  }
}

/** A configured router match that is not an IPv4 address or prefix (`ERR_TELEMETRY_HOPD_CONFIG`). */
export class HopdConfigError extends Error {
  /** Stable error code. */
  readonly code = "ERR_TELEMETRY_HOPD_CONFIG";
  constructor(message: string) {
    super(message);
    this.name = "HopdConfigError";
  }
}

const counters = z.object({
  txPkts: z.number(),
  rxPkts: z.number(),
  txUcPkts: z.number(),
  rxUcPkts: z.number(),
  txBcPkts: z.number(),
  rxBcPkts: z.number(),
  txMcPkts: z.number(),
  rxMcPkts: z.number(),
  txCrcError: z.number(),
  rxCrcError: z.number(),
  txDropPkt: z.number(),
  rxDropPkt: z.number(),
  txBytes: z.number(),
  rxBytes: z.number(),
  sampledAtMs: z.number(),
});
const logical = z.object({ name: z.string(), counters });
const hopAnswer = z.object({
  devName: z.string(),
  devSerialId: z.string(),
  cpuUtil: z.number(),
  memUtil: z.number(),
  timestampType: z.enum(["PTP", "NTP", "LCPU"]),
  ingress: z.array(logical),
  egress: z.object({
    members: z.array(logical),
    numBuckets: z.number(),
    l2Ecmp: z.array(z.object({ aeName: z.string(), members: z.array(logical), numBuckets: z.number() })),
    chosen: z.string().optional(),
  }),
  bandwidth: z.object({ counter: z.number(), id: z.number() }).optional(),
});

interface Matcher {
  router: HopdRouter;
  network: number;
  mask: number;
}

function matcherOf(router: HopdRouter): Matcher {
  const [addr, lenText] = router.match.split("/", 2) as [string, string | undefined];
  const len = lenText === undefined ? 32 : Number(lenText);
  let network: number;
  try {
    network = ipv4FromString(addr);
  } catch {
    throw new HopdConfigError(`hopd router match ${router.match}: expected an IPv4 address or prefix`);
  }
  if (!Number.isInteger(len) || len < 0 || len > 32 || (lenText !== undefined && !/^\d+$/.test(lenText))) {
    throw new HopdConfigError(`hopd router match ${router.match}: bad prefix length`);
  }
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { router, network: (network & mask) >>> 0, mask };
}

/** What the provider remembers of a target: the routers used (with the responder each was asked about), the mirror. */
interface TargetState {
  routers: Map<string, { router: HopdRouter; responder: string; nextResponder?: string }>;
  mirror?: MirrorRequest;
}

const keyOf = (target: ProbeTarget) => JSON.stringify(target);

/** The hopd {@link TelemetryProvider}. */
export class HopdProvider implements TelemetryProvider {
  /** Provider name. */
  readonly name = "hopd";
  readonly #matchers: Matcher[];
  readonly #timeoutMs: number;
  readonly #cacheMs: number;
  readonly #targets = new Map<string, TargetState>();
  readonly #cache = new Map<string, { at: number; target: string; value: Promise<HopTelemetry | null> }>();
  #closed = false;

  /** @throws HopdConfigError for a router whose `match` is not an IPv4 address or prefix. */
  constructor(options: { routers: HopdRouter[]; timeoutMs?: number; cacheMs?: number }) {
    this.#matchers = options.routers.map(matcherOf);
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#cacheMs = options.cacheMs ?? 500;
  }

  /** The router configured for responder `address` (first match), or undefined. */
  routerFor(address: string): HopdRouter | undefined {
    let a: number;
    try {
      a = ipv4FromString(address);
    } catch {
      return undefined;
    }
    return this.#matchers.find((m) => (a & m.mask) >>> 0 === m.network)?.router;
  }

  async #post(router: HopdRouter, path: string, body: unknown): Promise<unknown> {
    const url = `${router.url.replace(/\/+$/, "")}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${router.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const reason =
        err.name === "TimeoutError"
          ? `no answer within ${this.#timeoutMs} ms`
          : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new HopdUnreachableError(router.url, reason, { cause: e });
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      throw new HopdRequestError(
        router.url,
        response.status,
        undefined,
        `${path} answered HTTP ${response.status}, not JSON`,
      );
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } }).error;
      throw new HopdRequestError(router.url, response.status, error?.code, error?.message ?? `HTTP ${response.status}`);
    }
    return json;
  }

  /**
   * Telemetry of the hop that answered as `query.responder`, from the hopd router configured for it; null when none is.
   * @throws HopdUnreachableError, HopdRequestError.
   */
  hop(query: HopQuery): Promise<HopTelemetry | null> {
    if (this.#closed) return Promise.resolve(null);
    const router = this.routerFor(query.responder);
    if (router === undefined) return Promise.resolve(null);
    const key = keyOf(query.target);
    const state: TargetState = this.#targets.get(key) ?? { routers: new Map() };
    this.#targets.set(key, state);
    state.routers.set(`${router.url} ${query.responder}`, {
      router,
      responder: query.responder,
      ...(query.nextResponder === undefined ? {} : { nextResponder: query.nextResponder }),
    });
    const cacheKey = JSON.stringify([router.url, query.responder, query.nextResponder, key, query.bwIngress]);
    const now = Date.now();
    const hit = this.#cache.get(cacheKey);
    if (hit !== undefined && now - hit.at < this.#cacheMs && state.mirror === undefined) return hit.value;
    const body = {
      target: query.target,
      responder: query.responder,
      ...(query.nextResponder === undefined ? {} : { nextResponder: query.nextResponder }),
      bwIngress: query.bwIngress,
      ...(state.mirror === undefined ? {} : { mirror: state.mirror }),
    };
    const value = this.#post(router, "/v1/hop", body).then((json) => {
      const parsed = hopAnswer.safeParse(json);
      if (!parsed.success) throw new HopdRequestError(router.url, 200, undefined, "answer is not hop telemetry");
      return parsed.data as HopTelemetry;
    });
    if (this.#cacheMs > 0) {
      this.#prune(now);
      this.#cache.set(cacheKey, { at: now, target: key, value });
      value.catch(() => this.#cache.delete(cacheKey));
    }
    return value;
  }

  #prune(now: number): void {
    for (const [k, v] of this.#cache) if (now - v.at >= this.#cacheMs) this.#cache.delete(k);
  }

  /**
   * Starts the mirror at every hopd router used for `target` so far, and at the ones its later hop queries reach.
   * @throws the first router's error (the others are still asked).
   */
  async startMirror(target: ProbeTarget, mirror: MirrorRequest): Promise<void> {
    const key = keyOf(target);
    const state: TargetState = this.#targets.get(key) ?? { routers: new Map() };
    state.mirror = { ...mirror };
    this.#targets.set(key, state);
    await settleAll(
      [...state.routers.values()].map((r) =>
        this.#post(r.router, "/v1/mirror", {
          target,
          responder: r.responder,
          ...(r.nextResponder === undefined ? {} : { nextResponder: r.nextResponder }),
          mirror,
        }),
      ),
    );
  }

  /**
   * Removes the target's counters and mirrors at every hopd router used for it, and forgets the target.
   * @throws the first router's error (the others are still asked).
   */
  async release(target: ProbeTarget): Promise<void> {
    const key = keyOf(target);
    const state = this.#targets.get(key);
    this.#targets.delete(key);
    for (const [k, v] of this.#cache) if (v.target === key) this.#cache.delete(k);
    if (state === undefined) return;
    const routers = new Map([...state.routers.values()].map((r) => [r.router.url, r.router]));
    await settleAll([...routers.values()].map((router) => this.#post(router, "/v1/release", { target })));
  }

  /** Forgets every target (routers keep their state until released or restarted). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#targets.clear();
    this.#cache.clear();
  }
}

/** Waits for every promise; rejects with the first rejection after all have settled. */
async function settleAll(work: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}
