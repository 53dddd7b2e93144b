/**
 * A minimal server-sent events client for the subscribeAll suites: POSTs a request and parses the event stream into
 * `{ event, id, data }` objects as they arrive.
 */

/** One received event. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: unknown;
}

/** An open subscription. */
export interface SseSubscription {
  readonly status: number;
  readonly events: SseEvent[];
  close(): void;
}

/** POSTs `body` to `url` and collects the events until {@link SseSubscription.close}. */
export async function subscribe(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<SseSubscription> {
  const abort = new AbortController();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  if (res.ok && res.body !== null) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
            const fields = new Map<string, string>();
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) continue;
              const i = line.indexOf(": ");
              if (i > 0) fields.set(line.slice(0, i), line.slice(i + 2));
            }
            if (fields.has("event")) {
              events.push({
                event: fields.get("event") ?? "",
                id: fields.get("id"),
                data: JSON.parse(fields.get("data") ?? "null"),
              });
            }
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { status: res.status, events, close: () => abort.abort() };
}
