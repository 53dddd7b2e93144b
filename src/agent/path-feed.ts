/**
 * The feed of completed rounds: every Path a trace stores is published here, with the trace it belongs to. The
 * dashboard's live updates (server-sent events), `subscription/subscribeAll` and the JetStream publisher (scale-out)
 * subscribe to it. Delivery is synchronous and in round order; a listener that throws is removed and never stops a round.
 */
import type { FlowTuple, TunnelTuple } from "../probe/transport.ts";
import type { PathObject } from "./path-object.ts";
import type { TraceKind } from "./trace-entry.ts";

/** One completed round of one trace. */
export interface PathRound {
  /** Registry key of the trace (identifiers.ts). */
  key: string;
  kind: TraceKind;
  /** The Path's `ID`. */
  id: string;
  /** The flow 5-tuple, or the tunnel tuple. */
  tuple: FlowTuple | TunnelTuple;
  /** `complete` when the destination answered. */
  outcome: "complete" | "incomplete";
  path: PathObject;
}

/** A subscriber; returns nothing, must not block. */
export type PathRoundListener = (round: PathRound) => void;

/** Publishes completed rounds to any number of subscribers. */
export class PathFeed {
  readonly #listeners = new Set<PathRoundListener>();
  #dropped = 0;

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: PathRoundListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Number of current subscribers. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Listeners removed because they threw. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Delivers one round to every subscriber. */
  publish(round: PathRound): void {
    for (const listener of this.#listeners) {
      try {
        listener(round);
      } catch {
        this.#listeners.delete(listener);
        this.#dropped++;
      }
    }
  }
}
