/**
 * Several flow sources as one for list/flow (compute-agent-api.txt, "GET list/flow Resource"): on a VTEP host the
 * host's sockets (proc-net-flows.ts) and the overlay flows sniffed on the underlay (overlay-flows.ts) together.
 */
import type { FlowSource, SniffedFlow } from "./flow-source.ts";

/**
 * The union of `sources`' flows, in source order. A source that fails is left out while another answers; when every
 * source fails, the first error is thrown (list/flow then answers EFAIL). `close` closes every source.
 */
export function combineFlowSources(sources: readonly FlowSource[]): FlowSource {
  return {
    name: sources.map((s) => s.name).join("+"),
    async flows(): Promise<readonly SniffedFlow[]> {
      const results = await Promise.allSettled(sources.map(async (s) => s.flows()));
      const ok = results.filter((r) => r.status === "fulfilled");
      if (ok.length === 0 && results.length > 0) throw (results[0] as PromiseRejectedResult).reason;
      return ok.flatMap((r) => r.value);
    },
    async close(): Promise<void> {
      await Promise.allSettled(sources.map(async (s) => s.close?.()));
    },
  };
}
