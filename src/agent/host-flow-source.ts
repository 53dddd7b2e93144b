/**
 * list/flow's flows on a real host (`network: raw`; compute-agent-api.txt, "GET list/flow Resource"): the host's own
 * sockets (`/proc/net`, proc-net-flows.ts) and, when the probe helper can capture, the overlay (VXLAN) flows sniffed on
 * the underlay (overlay-flows.ts) with their 11-value PORTS tuples.
 */
import type { PacketCapture } from "../probe/helper/probe-helper.ts";
import type { AgentClock } from "./clock.ts";
import { combineFlowSources } from "./combined-flow-source.ts";
import type { AgentConfig } from "./config.ts";
import type { FlowSource } from "./flow-source.ts";
import { type OverlayEvents, OverlayFlowSource } from "./overlay-flows.ts";
import { ProcNetFlowSource } from "./proc-net-flows.ts";

/** What {@link startHostFlowSource} needs. */
export interface HostFlowSourceOptions {
  config: AgentConfig;
  clock: AgentClock;
  /** The probe helper's capture, or null when it has none (then only the sockets are listed). */
  capture: PacketCapture | null;
  /** Told when the overlay capture cannot start (the sockets are still listed). */
  onCaptureError?: (error: unknown) => void;
  /** The overlay sniffer's events (the agent's OverlayMetrics); told `unavailable` when there is no capture. */
  overlayEvents?: OverlayEvents;
}

/** The host's flows: sockets plus sniffed overlay flows (when the capture starts). Close it after the agent stops. */
export async function startHostFlowSource(options: HostFlowSourceOptions): Promise<FlowSource> {
  const listFlow = options.config["list-flow"];
  const sockets = new ProcNetFlowSource({
    clock: options.clock,
    retentionMs: listFlow.retention,
    sniffIntervalMs: listFlow["sniff-interval"],
  });
  if (options.capture === null) {
    options.overlayEvents?.captureState("unavailable");
    return sockets;
  }
  const overlay = new OverlayFlowSource({
    capture: options.capture,
    clock: options.clock,
    retentionMs: listFlow.retention,
    ...(options.overlayEvents === undefined ? {} : { events: options.overlayEvents }),
  });
  try {
    await overlay.start();
  } catch (e) {
    options.onCaptureError?.(e);
    return sockets;
  }
  return combineFlowSources([sockets, overlay]);
}
