/**
 * One active flow (start/flow) or tunnel flow (start/tunnel) in the registry: what it probes, who owns it (the
 * Originator header, or the client address when there was none), its current and pending collection parameters, its
 * state (active, or stopping after a stop request), and the Path of its last round.
 */
import type { FlowTuple, ProbeTarget, TunnelTuple } from "../probe/transport.ts";
import type { CollectionParams } from "./collection-params.ts";
import type { PathObject } from "./path-object.ts";

/** start/flow or start/tunnel. */
export type TraceKind = "flow" | "tunnel";

/** Who makes a request: the `Originator` header (null when absent or empty) and the client's address. */
export interface Requester {
  originator: string | null;
  address: string;
}

/** What a start request asks for, applied at the start of the next round when the trace is already active. */
export interface TraceSettings {
  target: ProbeTarget;
  params: CollectionParams;
}

/** The last Path of a trace; serialised on the first data/* request after the round, then kept until the next one. */
export class StoredPath {
  readonly object: PathObject;
  #json: string | null = null;

  constructor(object: PathObject) {
    this.object = object;
  }

  /** The Path as JSON text. */
  get json(): string {
    this.#json ??= JSON.stringify(this.object);
    return this.#json;
  }
}

/** One flow or tunnel being traced. */
export class TraceEntry {
  /** Registry key (identifiers.ts). */
  readonly key: string;
  readonly kind: TraceKind;
  /** The `ID` string of its Path. */
  readonly id: string;
  /** The owner, fixed when the trace is created. */
  readonly owner: Requester;
  /** The flow 5-tuple, or the tunnel tuple. */
  readonly tuple: FlowTuple | TunnelTuple;
  /** start/tunnel's `dport` (the application destination port), when given. */
  appDport: number | null = null;
  /** What the current (or next, if none runs) round uses. */
  settings: TraceSettings;
  /** A modification waiting for the next round, or null. */
  pending: TraceSettings | null = null;
  /** `stopping` from the stop request until the trace is removed. */
  state: "active" | "stopping" = "active";
  /** The Path of the last completed round, or null before the first one. */
  path: StoredPath | null = null;
  /** Why the last round failed, or null. */
  lastError: string | null = null;
  /** The destination's TTL in the last round that reached it (the next round's TTL window), or null. */
  knownDestinationTtl: number | null = null;
  /** When the trace was created, epoch ms. */
  readonly createdAtMs: number;

  constructor(init: {
    key: string;
    kind: TraceKind;
    id: string;
    owner: Requester;
    tuple: FlowTuple | TunnelTuple;
    settings: TraceSettings;
    createdAtMs: number;
  }) {
    this.key = init.key;
    this.kind = init.kind;
    this.id = init.id;
    this.owner = init.owner;
    this.tuple = init.tuple;
    this.settings = init.settings;
    this.createdAtMs = init.createdAtMs;
  }

  /** Moves the pending modification (if any) into the current settings; returns the settings of the round. */
  takeSettings(): TraceSettings {
    if (this.pending !== null) {
      this.settings = this.pending;
      this.pending = null;
    }
    return this.settings;
  }

  /** Stores the Path of a completed round. */
  storePath(object: PathObject): void {
    this.path = new StoredPath(object);
    this.lastError = null;
  }
}
