/**
 * Runs inside a lab namespace (`ip netns exec NS node --import tsx test/hopd/lab-client.ts 'STEPS'`) for the hopd lab
 * suite, whose own process cannot reach addresses inside the lab. STEPS is a JSON list; each step is
 * - `{ "http": { "url", "method", "token"?, "body"? } }`: one request; result `{ status, body }`;
 * - `{ "provider": { "routers", "timeoutMs"?, "call": "hop" | "startMirror" | "release", "args": [...] } }`: one call
 *   of a fresh HopdProvider (the same provider for consecutive provider steps with `"keep": true`); result
 *   `{ value }` or `{ error: { name, code } }`.
 * Prints the results as one JSON line.
 */
import { HopdProvider, type HopdRouter } from "../../src/telemetry/hopd-provider.ts";

interface HttpStep {
  http: { url: string; method?: string; token?: string; body?: unknown };
}
interface ProviderStep {
  provider: { routers: HopdRouter[]; timeoutMs?: number; keep?: boolean; call: string; args: unknown[] };
}

const steps = JSON.parse(process.argv[2] ?? "[]") as (HttpStep | ProviderStep)[];
const results: unknown[] = [];
let provider: HopdProvider | null = null;
for (const step of steps) {
  if ("http" in step) {
    const { url, method = "GET", token, body } = step.http;
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    results.push({ status: r.status, body: await r.json().catch(() => null) });
    continue;
  }
  const p = step.provider;
  if (provider === null || p.keep !== true) {
    provider = new HopdProvider({
      routers: p.routers,
      ...(p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs }),
    });
  }
  try {
    const fn = (provider as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[p.call]!;
    const value = await fn.apply(provider, p.args);
    results.push({ value: value ?? null });
  } catch (e) {
    const err = e as Error & { code?: string };
    results.push({ error: { name: err.name, code: err.code, message: err.message } });
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
