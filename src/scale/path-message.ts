/**
 * One completed round of one agent's trace as it travels to subscribers: the JetStream message body on
 * `flowlens.paths.<agent>.<flow key>` and the `data` of a subscribeAll `path` event (docs/scale-out.md). JSON:
 *
 * ```json
 * { "agent": "host-a", "kind": "flow", "key": "flow|10.1.1.1|10.1.7.1|6|4567|9000", "outcome": "complete",
 *   "publishedAt": 1795000000123, "tuple": { ... }, "path": { "Path": [ ... ], "ID": "(...)", "Time": 1795000000,
 *   "DestinationReached": true } }
 * ```
 *
 * `path` is the spec's Path data object (compute-agent-api.txt Table 6/7, as `data/flow` answers it); `publishedAt` is
 * epoch milliseconds at the agent.
 */
import type { PathRound } from "../agent/path-feed.ts";
import type { PathObject } from "../agent/path-object.ts";

/** See the module comment. */
export interface PathRoundMessage {
  /** The agent that traced it (`scale-out.agent-name`, default its host name). */
  agent: string;
  kind: PathRound["kind"];
  /** The trace's registry key. */
  key: string;
  outcome: PathRound["outcome"];
  /** When the agent published the round, epoch ms. */
  publishedAt: number;
  tuple: PathRound["tuple"];
  path: PathObject;
}

/** The message of `round` traced by `agent`. */
export function pathRoundMessage(agent: string, round: PathRound, nowMs: number): PathRoundMessage {
  return {
    agent,
    kind: round.kind,
    key: round.key,
    outcome: round.outcome,
    publishedAt: nowMs,
    tuple: round.tuple,
    path: round.path,
  };
}
