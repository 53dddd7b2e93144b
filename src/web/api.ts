/**
 * The dashboard's calls to the agent: the CA API (GET with query strings, docs/api.md), `/version`, the collector
 * proxy and the live event stream (`/api/ui/events`, server-sent events read through fetch so the bearer token can go
 * in a header). The Originator header and the token are settings of this browser tab (sessionStorage).
 */
import type { RoundEvent } from "./types.ts";

const ORIGINATOR_KEY = "flowlens.originator";
const TOKEN_KEY = "flowlens.token";

/** The Originator header sent with every CA call (empty: none). */
export function originator(): string {
  return sessionStorage.getItem(ORIGINATOR_KEY) ?? "";
}

/** Sets the Originator header for later calls. */
export function setOriginator(value: string): void {
  sessionStorage.setItem(ORIGINATOR_KEY, value.trim());
}

/** The bearer token (empty: none). */
export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

/** Sets the bearer token for later calls. */
export function setToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
}

function headers(): Record<string, string> {
  const out: Record<string, string> = { accept: "application/json" };
  if (originator() !== "") out.originator = originator();
  if (token() !== "") out.authorization = `Bearer ${token()}`;
  return out;
}

/** An answer: HTTP status and the parsed JSON body (undefined when it is not JSON). */
export interface Answer<T = unknown> {
  status: number;
  ok: boolean;
  body: T;
}

/** GETs `path` (with `params` as its query string) from the agent. Network failures answer status 0. */
export async function get<T = unknown>(path: string, params: Record<string, string> = {}): Promise<Answer<T>> {
  const query = new URLSearchParams(params).toString();
  try {
    const res = await fetch(query === "" ? path : `${path}?${query}`, { headers: headers(), cache: "no-store" });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, ok: res.ok, body: body as T };
  } catch (e) {
    return { status: 0, ok: false, body: { message: `the agent cannot be reached: ${String(e)}` } as T };
  }
}

/** The one-line reason of a failed answer: the CA envelope's message, the kit's error message, or the status. */
export function reason(answer: Answer): string {
  const b = answer.body as { message?: string; code?: string; error?: { message?: string } } | undefined;
  if (b?.message !== undefined) return b.code === undefined ? b.message : `${b.code}: ${b.message}`;
  if (b?.error?.message !== undefined) return b.error.message;
  return `HTTP ${answer.status}`;
}

/** Handlers of the live stream. */
export interface LiveHandlers {
  round(event: RoundEvent): void;
  /** Called with true when the stream is open, false when it broke (it reconnects by itself). */
  status(connected: boolean): void;
}

/**
 * Reads `/api/ui/events` (only the rounds matching `filters`: `kind` and tuple fields) until `signal` aborts,
 * reconnecting 2 s after a break.
 */
export async function followRounds(
  handlers: LiveHandlers,
  filters: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const url = `/api/ui/events?${new URLSearchParams(filters).toString()}`;
  while (!signal.aborted) {
    try {
      const res = await fetch(url, { headers: headers(), signal, cache: "no-store" });
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      handlers.status(true);
      await readEvents(res.body, signal, (type, data) => {
        if (type === "round") handlers.round(JSON.parse(data) as RoundEvent);
      });
    } catch {
      // Broken or refused; retried below.
    }
    if (signal.aborted) return;
    handlers.status(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Parses a text/event-stream body, calling `onEvent(type, data)` for each event. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  onEvent: (type: string, data: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) type = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(type, data.join("\n"));
    }
  }
}
