/**
 * Per-flow packet counters (`bw_ingress`, Table 7 `Bandwidth_Counter` and `Bandwidth_ID`): a filter counter a device
 * installs for one traced flow on its ingress, counting the flow's packets (its traffic and its probes) from the moment
 * it is installed. Each installation takes the device's next `Bandwidth_ID` (its base plus a sequence number), so a
 * client sees the ID change whenever the counter was removed and installed again and knows the count restarted.
 */
import { type FlowRecord, packetsAt } from "./flow-registry.ts";
import type { SimDevice } from "./topology.ts";

interface Installed {
  id: number;
  /** packetsAt() when installed (fractional: the counter reads the whole packets since). */
  baseline: number;
}

/** The installed counters, by traced target and device. */
export class BandwidthCounters {
  private readonly byTarget = new Map<string, Map<string, Installed>>();
  private readonly issued = new Map<string, number>();

  /**
   * Reads the counter of the target `targetKey` (flow `rec`) at `device`, installing it first when absent.
   * `counter` is packets since installation at `nowMs`; `id` is the installation's Bandwidth_ID (unsigned 32-bit).
   */
  read(targetKey: string, device: SimDevice, rec: FlowRecord, nowMs: number): { counter: number; id: number } {
    let perDevice = this.byTarget.get(targetKey);
    if (perDevice === undefined) {
      perDevice = new Map();
      this.byTarget.set(targetKey, perDevice);
    }
    let installed = perDevice.get(device.name);
    if (installed === undefined) {
      const seq = this.issued.get(device.name) ?? 0;
      this.issued.set(device.name, seq + 1);
      installed = { id: (device.bandwidthIdBase + seq) >>> 0, baseline: packetsAt(rec, device.name, nowMs) };
      perDevice.set(device.name, installed);
    }
    const counter = Math.max(0, Math.floor(packetsAt(rec, device.name, nowMs) - installed.baseline));
    return { counter, id: installed.id };
  }

  /** Removes every counter of the target; returns how many there were. */
  release(targetKey: string): number {
    const n = this.byTarget.get(targetKey)?.size ?? 0;
    this.byTarget.delete(targetKey);
    return n;
  }

  /** How many counters are installed (all targets, all devices). */
  get size(): number {
    let n = 0;
    for (const m of this.byTarget.values()) n += m.size;
    return n;
  }
}
