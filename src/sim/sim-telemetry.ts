/**
 * The simulated telemetry provider (`TelemetryProvider`, name `sim`, compute-agent-api.txt Tables 7 to 14 without
 * rates): the hop that answered as `responder` (an interface address of a device) reports its name and serial, CPU and
 * memory at this moment, its timestamp type, the ingress interface with its counters, and its egress for the target's
 * tuple: the host port, or the L3 ECMP group toward the destination with plain members in `members` and LAGs in `l2Ecmp`
 * (physical members with their counters), `numBuckets` the group's size, and `chosen` the physical interface this flow
 * hashes to. With `bwIngress`, the flow's packet counter at the hop (installed on first use). Hosts and unknown
 * addresses are not hops: null.
 */
import type { ProbeTarget } from "../probe/transport.ts";
import type {
  EgressAttribute,
  HopQuery,
  HopTelemetry,
  LogicalInterface,
  MirrorRequest,
  TelemetryProvider,
} from "../telemetry/provider.ts";
import { type SimCore, targetKey, targetTuple } from "./core.ts";
import { SimClosedError } from "./errors.ts";
import type { ForwardDecision } from "./forwarding.ts";
import { phaseOf } from "./hash.ts";
import type { SimDevice, SimInterface } from "./topology.ts";
import { utilisationAt } from "./utilisation.ts";

/** The telemetry provider of one simulated fabric. */
export class SimTelemetryProvider implements TelemetryProvider {
  /** Always `sim`. */
  readonly name = "sim";
  private closed = false;

  constructor(private readonly core: SimCore) {}

  private check(): void {
    if (this.closed) throw new SimClosedError("sim telemetry provider");
  }

  /** An interface with its counters now. */
  logical(ifl: SimInterface): LogicalInterface {
    return { name: ifl.name, counters: this.core.traffic.interfaceCounters(ifl.tx, ifl.rx) };
  }

  /** The egress attribute of a forwarding decision (an empty group, 0 buckets, when the device has no route). */
  egress(decision: ForwardDecision): EgressAttribute {
    if (decision.host !== null) {
      return {
        members: [this.logical(decision.host.port)],
        numBuckets: 1,
        l2Ecmp: [],
        chosen: decision.host.port.name,
      };
    }
    if (decision.egress === null) return { members: [], numBuckets: 0, l2Ecmp: [] };
    return {
      members: decision.group.filter((a) => !a.lag).map((a) => this.logical(a.iface)),
      numBuckets: decision.group.length,
      l2Ecmp: decision.group
        .filter((a) => a.lag)
        .map((a) => ({
          aeName: a.iface.name,
          members: a.members.map((m) => this.logical(m.local)),
          numBuckets: a.members.length,
        })),
      chosen: decision.egress.name,
    };
  }

  /** Device-level fields of a hop at the model's time. */
  private device(device: SimDevice, now: number): Omit<HopTelemetry, "ingress" | "egress"> {
    const u = (now - this.core.startMs) / 1000;
    const cfg = device.config;
    return {
      devName: device.name,
      devSerialId: cfg.serial,
      cpuUtil: utilisationAt(cfg.cpu, u, phaseOf(device.name, 1)),
      memUtil: utilisationAt(cfg.memory, u, phaseOf(device.name, 2)),
      timestampType: cfg["timestamp-type"],
    };
  }

  /**
   * Telemetry of the device owning the address `query.responder`, for the query's target; null for hosts and
   * addresses the fabric does not have.
   * @throws SimTupleError for a malformed target; SimClosedError after close().
   */
  async hop(query: HopQuery): Promise<HopTelemetry | null> {
    this.check();
    const now = this.core.sync();
    const owner = this.core.network.addresses.get(query.responder);
    if (owner?.kind !== "interface") return null;
    const device = this.core.network.devices.get(owner.iface.device)!;
    const tuple = targetTuple(query.target);
    const rec = this.core.flows.ensure(tuple);
    const decision = this.core.forwarding.decide(device, rec.hashKey, tuple.dst);
    const telemetry: HopTelemetry = {
      ...this.device(device, now),
      ingress: [this.logical(owner.iface)],
      egress: this.egress(decision),
    };
    if (query.bwIngress) telemetry.bandwidth = this.core.bandwidth.read(targetKey(query.target), device, rec, now);
    return telemetry;
  }

  /**
   * Starts ERSPAN mirroring of the target at every hop of its path (idempotent for the same request).
   * @throws SimMirrorError for an unsupported request; SimTupleError; SimClosedError.
   */
  async startMirror(target: ProbeTarget, mirror: MirrorRequest): Promise<void> {
    this.check();
    this.core.sync();
    this.core.mirrors.start(targetKey(target), this.core.flows.ensure(targetTuple(target)), mirror);
  }

  /** Removes the target's per-flow counters and mirror sessions (nothing to do when it has none). */
  async release(target: ProbeTarget): Promise<void> {
    this.check();
    this.core.sync();
    const key = targetKey(target);
    this.core.bandwidth.release(key);
    this.core.mirrors.release(key);
  }

  /** Marks the provider closed (the fabric itself lives on). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
