/**
 * The shapes the dashboard reads. They are the serialised forms of the agent's and the collector's own objects, so they
 * are taken from there by type-only imports, which esbuild erases: no server code reaches the browser bundle. Browser
 * code may import runtime values only from src/web and src/wire (DESIGN.md; test/web/web-imports.test.ts checks it).
 * Two view types are declared here because the views read the JSON more loosely than the server types it comes from.
 */
import type { AnsweredHop, PathObject as AgentPathObject, PathHop } from "../agent/path-object.ts";
import type { UiRoundEvent } from "../agent/web-routes.ts";

export type { ListedFlowGroup } from "../agent/flow-source.ts";
export type { IflObject as Ifl } from "../agent/path-object.ts";
export type { FileStatus, InterfaceStatus } from "../collector/status.ts";
export type { RateValue } from "../collector/rate-counter.ts";
export type { TraceInfo } from "../agent/traces-route.ts";
export type { FlowTuple, TunnelTuple } from "../probe/transport.ts";

/**
 * One element of `Path` as the views read it: any of the three {@link PathHop} forms (answered with telemetry,
 * answered without, silent), with every field only an answered hop has made optional, so that a view reads `DevName`,
 * `Latency`... of any hop and gets `undefined` where the JSON has no such key.
 */
export type Hop = Pick<PathHop, "HOP" | "HopStatus" | "HopAddress"> &
  Partial<Omit<AnsweredHop, "HOP" | "HopStatus" | "HopAddress">>;

/** Table 6 as the views read it: the agent's {@link AgentPathObject} with each hop read as a {@link Hop}. */
export interface PathObject extends Omit<AgentPathObject, "Path"> {
  Path: Hop[];
}

/** One SSE `round` event of `/api/ui/events` ({@link UiRoundEvent}), its Path read as a view {@link PathObject}. */
export interface RoundEvent extends Omit<UiRoundEvent, "path"> {
  path: PathObject;
}
