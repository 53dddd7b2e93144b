/**
 * ERSPAN mirror sessions (start/flow `mirror_type`, `mirror_dir`, `mirror_analyzer`): one session per device on the
 * traced flow's path, copying the flow's packets seen on the ingress interface, the egress interface or both to the
 * analyzer. A session counts what it copied since it was created (packets, and bytes with 50 bytes of ERSPAN type II
 * encapsulation per copy: outer IPv4 20, GRE 8, ERSPAN 8, mirrored Ethernet header 14). The copies of the flow's
 * traffic also travel the fabric to the analyzer host as a stream, so its port counters show them.
 */
import { ipv4FromString } from "../wire/ipv4-address.ts";
import type { MirrorRequest } from "../telemetry/provider.ts";
import { SimMirrorError } from "./errors.ts";
import { type FlowRecord, packetsAt } from "./flow-registry.ts";
import type { Forwarding, RouteHopDetail } from "./forwarding.ts";
import type { StreamHandle, TrafficModel } from "./traffic.ts";

/** Bytes an ERSPAN type II copy adds to the mirrored packet. */
export const ERSPAN_OVERHEAD_BYTES = 50;
const GRE_PROTOCOL = 47;

/** A mirror session as the fabric reports it. */
export interface SimMirrorSession {
  /** Session number, unique in the fabric (1, 2, ...). */
  id: number;
  /** The traced target's key (`flow 10.1.1.1 10.1.7.1 tcp 4567 9000`, `tunnel ...`). */
  target: string;
  device: string;
  /** The interfaces whose packets are copied. */
  interfaces: string[];
  type: "erspan";
  direction: "ingress" | "egress" | "both";
  analyzer: string;
  createdAtMs: number;
  /** Copies sent to the analyzer so far, and their bytes. */
  packets: number;
  bytes: number;
}

interface Session {
  info: Omit<SimMirrorSession, "packets" | "bytes">;
  rec: FlowRecord;
  baseline: number;
  stream: StreamHandle | null;
}

function validate(request: MirrorRequest): { direction: SimMirrorSession["direction"]; analyzer: string } {
  if (request.type.toLowerCase() !== "erspan") throw new SimMirrorError(`unsupported mirror type ${request.type}`);
  const direction = request.direction.toLowerCase();
  if (direction !== "ingress" && direction !== "egress" && direction !== "both") {
    throw new SimMirrorError(`unsupported mirror direction ${request.direction}`);
  }
  try {
    ipv4FromString(request.analyzer);
  } catch {
    throw new SimMirrorError(`mirror analyzer is not an IPv4 address: ${request.analyzer}`);
  }
  return { direction, analyzer: request.analyzer };
}

/** The fabric's mirror sessions, by traced target. */
export class MirrorSessions {
  private readonly byTarget = new Map<string, Session[]>();
  private nextId = 1;

  constructor(
    private readonly forwarding: Forwarding,
    private readonly traffic: TrafficModel,
  ) {}

  /**
   * Creates the sessions of `targetKey` on every device of `rec`'s route. The same request again changes nothing; a
   * different one replaces the sessions (their counts restart).
   * @throws SimMirrorError for a type other than ERSPAN, a direction other than ingress/egress/both, a bad analyzer.
   */
  start(targetKey: string, rec: FlowRecord, request: MirrorRequest): void {
    const { direction, analyzer } = validate(request);
    const existing = this.byTarget.get(targetKey);
    if (existing?.every((s) => s.info.direction === direction && s.info.analyzer === analyzer)) return;
    this.release(targetKey);
    const sessions = rec.route.hops.map((hop) => this.session(targetKey, rec, hop, direction, analyzer));
    this.byTarget.set(targetKey, sessions);
  }

  /** One session at one hop, with the stream of its copies toward the analyzer. */
  private session(
    targetKey: string,
    rec: FlowRecord,
    hop: RouteHopDetail,
    direction: SimMirrorSession["direction"],
    analyzer: string,
  ): Session {
    const now = this.traffic.now;
    const copies = direction === "both" ? 2 : 1;
    // Copies are GRE packets from the mirroring interface's address to the analyzer, forwarded like any packet.
    const key = {
      src: ipv4FromString(hop.ingress.address ?? analyzer),
      dst: ipv4FromString(analyzer),
      protocol: GRE_PROTOCOL,
      sport: 0,
      dport: 0,
    };
    const path = this.forwarding.walk(hop.device, null, key, analyzer, []);
    const stream =
      rec.pps > 0 && path.channels.length > 0
        ? this.traffic.addStream(path.channels, rec.pps * copies, rec.bytes + ERSPAN_OVERHEAD_BYTES, now, rec.endMs)
        : null;
    const ingress = hop.ingress.name;
    const egress = hop.decision.egress?.name ?? ingress;
    return {
      info: {
        id: this.nextId++,
        target: targetKey,
        device: hop.device.name,
        interfaces: direction === "both" ? [ingress, egress] : direction === "ingress" ? [ingress] : [egress],
        type: "erspan",
        direction,
        analyzer,
        createdAtMs: now,
      },
      rec,
      baseline: packetsAt(rec, hop.device.name, now),
      stream,
    };
  }

  /** Removes the target's sessions (their copy streams stop); returns how many there were. */
  release(targetKey: string): number {
    const sessions = this.byTarget.get(targetKey) ?? [];
    for (const s of sessions) if (s.stream !== null) this.traffic.removeStream(s.stream);
    this.byTarget.delete(targetKey);
    return sessions.length;
  }

  /** Every session with its counts at the model's time, in creation order. */
  list(): SimMirrorSession[] {
    const now = this.traffic.now;
    const out: SimMirrorSession[] = [];
    for (const sessions of this.byTarget.values()) {
      for (const s of sessions) {
        const copies = s.info.direction === "both" ? 2 : 1;
        const packets = Math.max(0, Math.floor(packetsAt(s.rec, s.info.device, now) - s.baseline)) * copies;
        const bytes = packets * (s.rec.bytes + ERSPAN_OVERHEAD_BYTES);
        out.push({ ...s.info, interfaces: [...s.info.interfaces], packets, bytes });
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }
}
