/**
 * ERSPAN mirroring of flows (start/flow `mirror_type=ERSPAN`, `mirror_dir`, `mirror_analyzer`), in user space: this
 * kernel has no `erspan` device, so each session captures the flow's packets with tcpdump (`flow-capture.ts`) on the
 * ingress interface (`mirror_dir=ingress`, `-Q in`), the egress the kernel chooses (`egress`, `-Q out`) or both, wraps
 * each one in IPv4 + GRE (0x88BE, sequence numbers counting from 0 per session) + ERSPAN type II (the session's id, the
 * mirrored port's ifindex as index) and sends it to the analyzer through the probe helper (`packet-sender.ts`).
 * Sessions are per flow, idempotent for the same request, replaced when the request or the interfaces change, and
 * removed on release (stop/flow) and at hopd's stop.
 */
import type { MirrorRequest } from "../telemetry/provider.ts";
import { type ErspanSessionFields, asEthernetFrame, encodeErspanPacket } from "./erspan-packet.ts";
import { HopdError } from "./errors.ts";
import { type CaptureDirection, FlowCapture } from "./flow-capture.ts";
import type { PacketTuple } from "./flow-target.ts";
import { KeyedLock } from "./keyed-lock.ts";
import type { PacketSender } from "./packet-sender.ts";

/** ERSPAN session ids are 10 bits; 0 is left unused. */
export const MAX_SESSION_ID = 1023;

/** What a session mirrors, resolved to interfaces. */
export interface MirrorPlan {
  tuple: PacketTuple;
  /** Mirror direction: `ingress`, `egress` or `both`. */
  direction: "ingress" | "egress" | "both";
  analyzer: string;
  /** Interfaces and directions to capture, with each one's ifindex. */
  ports: { ifname: string; ifindex: number; direction: CaptureDirection }[];
}

/** Statistics of one session. */
export interface MirrorSessionStatus {
  key: string;
  sessionId: number;
  analyzer: string;
  direction: string;
  interfaces: string[];
  /** Packets mirrored (sent to the helper). */
  packets: number;
  /** Captured packets that could not be encapsulated (unknown link type). */
  skipped: number;
  /** The capture's failure, when tcpdump stopped on its own. */
  failure?: string;
}

interface Session {
  status: MirrorSessionStatus;
  /** Where its packets go (a session whose sender died is restarted on the next request). */
  sender: PacketSender;
  signature: string;
  captures: FlowCapture[];
  sequence: number;
}

/** Options of {@link MirrorSessions}. */
export interface MirrorSessionsOptions {
  /** The router's address: the source of the ERSPAN packets. */
  source: string;
  /** Starts the sender on first use. */
  sender: () => Promise<PacketSender>;
  /** Bytes captured per packet and largest frame carried. */
  maxFrame: number;
  /** At most this many sessions. */
  maxSessions: number;
  /** tcpdump program. */
  tcpdump?: string;
  /** Called on each mirrored packet (metrics). */
  onPacket?(): void;
  /** Called when a capture fails on its own (logs). */
  onFailure?(key: string, reason: string): void;
}

/** Normalises and checks a mirror request: type ERSPAN (any case), direction ingress/egress/both. */
export function checkMirrorRequest(m: MirrorRequest): "ingress" | "egress" | "both" {
  if (m.type.toLowerCase() !== "erspan") {
    throw new HopdError("ERR_HOPD_MIRROR", `mirror type ${m.type} is not supported (only ERSPAN)`);
  }
  const d = m.direction.toLowerCase();
  if (d !== "ingress" && d !== "egress" && d !== "both") {
    throw new HopdError("ERR_HOPD_MIRROR", `mirror direction ${m.direction} is not ingress, egress or both`);
  }
  return d;
}

/** The mirror sessions of one router. */
export class MirrorSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #lock = new KeyedLock();
  #sender: Promise<PacketSender> | null = null;

  constructor(private readonly options: MirrorSessionsOptions) {}

  /** Number of sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Every session's status. */
  list(): MirrorSessionStatus[] {
    return [...this.#sessions.values()].map((s) => ({ ...s.status }));
  }

  #freeSessionId(): number {
    const used = new Set([...this.#sessions.values()].map((s) => s.status.sessionId));
    for (let id = 1; id <= MAX_SESSION_ID; id++) if (!used.has(id)) return id;
    throw new HopdError("ERR_HOPD_LIMIT", "no free ERSPAN session id");
  }

  /**
   * Starts (or keeps, when identical) the flow's mirror session.
   * @throws HopdError `ERR_HOPD_MIRROR` (helper or capture unavailable), `ERR_HOPD_LIMIT`.
   */
  start(key: string, plan: MirrorPlan): Promise<MirrorSessionStatus> {
    return this.#lock.run(key, () => this.#start(key, plan));
  }

  async #start(key: string, plan: MirrorPlan): Promise<MirrorSessionStatus> {
    const signature = JSON.stringify(plan);
    const existing = this.#sessions.get(key);
    const healthy = existing?.status.failure === undefined && existing?.sender.alive === true;
    if (existing !== undefined && existing.signature === signature && healthy) return { ...existing.status };
    await this.#release(key);
    if (this.#sessions.size >= this.options.maxSessions) {
      throw new HopdError("ERR_HOPD_LIMIT", `at most ${this.options.maxSessions} mirror sessions`);
    }
    const current = this.#sender === null ? null : await this.#sender.catch(() => null);
    if (current !== null && !current.alive) this.#sender = null;
    this.#sender ??= this.options.sender().catch((e: unknown) => {
      this.#sender = null;
      if (e instanceof HopdError) throw e;
      throw new HopdError("ERR_HOPD_MIRROR", `cannot send mirrored packets: ${(e as Error).message}`, {
        cause: e,
        statusCode: 500,
      });
    });
    const sender = await this.#sender;
    const session: Session = {
      sender,
      signature,
      captures: [],
      sequence: 0,
      status: {
        key,
        sessionId: this.#freeSessionId(),
        analyzer: plan.analyzer,
        direction: plan.direction,
        interfaces: plan.ports.map((p) => `${p.ifname}:${p.direction}`),
        packets: 0,
        skipped: 0,
      },
    };
    this.#sessions.set(key, session);
    try {
      for (const port of plan.ports) session.captures.push(await this.#capture(session, port, plan, sender));
    } catch (e) {
      await this.#release(key);
      throw e;
    }
    return { ...session.status };
  }

  async #capture(
    session: Session,
    port: MirrorPlan["ports"][number],
    plan: MirrorPlan,
    sender: PacketSender,
  ): Promise<FlowCapture> {
    const fields: ErspanSessionFields = {
      source: this.options.source,
      analyzer: plan.analyzer,
      sessionId: session.status.sessionId,
      index: port.ifindex & 0xfffff,
      maxFrame: this.options.maxFrame,
    };
    const capture = await FlowCapture.start({
      ifname: port.ifname,
      direction: port.direction,
      tuple: plan.tuple,
      snaplen: this.options.maxFrame,
      ...(this.options.tcpdump === undefined ? {} : { program: this.options.tcpdump }),
      onPacket: (p) => {
        const frame = asEthernetFrame(p.linkType, p.data);
        if (frame === null) {
          session.status.skipped++;
          return;
        }
        sender.send(encodeErspanPacket(fields, frame, session.sequence, p.origLen));
        session.sequence = (session.sequence + 1) >>> 0;
        session.status.packets++;
        this.options.onPacket?.();
      },
      onExit: (reason) => {
        session.status.failure = reason;
        this.options.onFailure?.(session.status.key, reason);
      },
    });
    if (!capture.listening) {
      await capture.stop();
      throw new HopdError(
        "ERR_HOPD_MIRROR",
        `capture on ${port.ifname} failed: ${session.status.failure ?? "tcpdump did not start"}`,
        {
          statusCode: 500,
        },
      );
    }
    return capture;
  }

  /** Stops the flow's session (nothing to do when it has none). */
  release(key: string): Promise<void> {
    return this.#lock.run(key, () => this.#release(key));
  }

  async #release(key: string): Promise<void> {
    const s = this.#sessions.get(key);
    if (s === undefined) return;
    this.#sessions.delete(key);
    await Promise.all(s.captures.map((c) => c.stop()));
  }

  /** Stops every session and the sender. */
  async close(): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((k) => this.release(k)));
    const sender = this.#sender;
    this.#sender = null;
    if (sender !== null) await (await sender.catch(() => null))?.close();
  }
}
