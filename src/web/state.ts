/**
 * The dashboard's state: the trace being looked at, the rounds received per trace (the live feed, kept in the tab
 * for the time series: at most {@link HISTORY_ROUNDS} rounds per trace, {@link HISTORY_TRACES} traces), and listeners.
 */
import type { FlowTuple, PathObject, RoundEvent, TunnelTuple } from "./types.ts";

/** Rounds kept per trace (10 minutes at the default sfreq of 1 s). */
export const HISTORY_ROUNDS = 600;
/** Traces whose rounds are kept; the least recently updated is forgotten first. */
export const HISTORY_TRACES = 50;

/** A flow or a tunnel flow, by what identifies it to stop/* and data/*. */
export type TraceRef =
  | { kind: "flow"; src: string; dst: string; proto: "tcp" | "udp"; sport: number; dport: number }
  | { kind: "tunnel"; src: string; dst: string; sport: number; vnid: number; appsrc: string; appdst: string };

/** A stable key of a trace (same for a {@link TraceRef} and for the tuple of a round event). */
export function refKey(ref: TraceRef): string {
  return ref.kind === "flow"
    ? `flow ${ref.src}:${ref.sport} > ${ref.dst}:${ref.dport} ${ref.proto}`
    : `tunnel ${ref.src} > ${ref.dst} sport ${ref.sport} vni ${ref.vnid} ${ref.appsrc} > ${ref.appdst}`;
}

/** The reference of a round event's trace. */
export function refOfEvent(event: RoundEvent): TraceRef {
  if (event.kind === "flow") {
    const t = event.tuple as FlowTuple;
    return { kind: "flow", src: t.src, dst: t.dst, proto: t.proto, sport: t.sport, dport: t.dport };
  }
  const t = event.tuple as TunnelTuple;
  return { kind: "tunnel", src: t.src, dst: t.dst, sport: t.sport, vnid: t.vnid, appsrc: t.appsrc, appdst: t.appdst };
}

/** The query parameters naming a trace for stop/* and data/*. */
export function refParams(ref: TraceRef): Record<string, string> {
  return ref.kind === "flow"
    ? { src: ref.src, dst: ref.dst, proto: ref.proto, sport: String(ref.sport), dport: String(ref.dport) }
    : {
        src: ref.src,
        dst: ref.dst,
        sport: String(ref.sport),
        vnid: String(ref.vnid),
        appsrc: ref.appsrc,
        appdst: ref.appdst,
      };
}

type Listener = () => void;

/** The shared state. */
export class DashboardState {
  selected: TraceRef | null = null;
  readonly #history = new Map<string, PathObject[]>();
  readonly #listeners = new Set<Listener>();
  /** Whether the live stream is connected. */
  live = false;

  /** Calls `listener` after every change; returns its remover. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }

  /** Looks at `ref` from now on. */
  select(ref: TraceRef | null): void {
    this.selected = ref;
    this.#changed();
  }

  /** The rounds kept for `ref`, oldest first. */
  history(ref: TraceRef): readonly PathObject[] {
    return this.#history.get(refKey(ref)) ?? [];
  }

  /** The last round kept for `ref`. */
  latest(ref: TraceRef): PathObject | undefined {
    const rounds = this.#history.get(refKey(ref));
    return rounds?.[rounds.length - 1];
  }

  /** Adds a round (from the live stream or from data/*), ignoring one already kept (same `Time`). */
  addRound(ref: TraceRef, path: PathObject): void {
    const key = refKey(ref);
    const rounds = this.#history.get(key) ?? [];
    if (rounds.length > 0 && rounds[rounds.length - 1]!.Time >= path.Time) return;
    rounds.push(path);
    if (rounds.length > HISTORY_ROUNDS) rounds.splice(0, rounds.length - HISTORY_ROUNDS);
    this.#history.delete(key);
    this.#history.set(key, rounds);
    if (this.#history.size > HISTORY_TRACES) this.#history.delete(this.#history.keys().next().value!);
    this.#changed();
  }

  /** Records whether the live stream is connected. */
  setLive(connected: boolean): void {
    if (this.live === connected) return;
    this.live = connected;
    this.#changed();
  }
}
