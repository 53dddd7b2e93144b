/**
 * Overlay sniffing for list/flow (compute-agent-api.txt, "GET list/flow Resource", Table 4; issue 6 "Overlay sniffing"):
 * VXLAN datagrams captured on the underlay by the probe helper's AF_PACKET socket (both directions, filtered in the
 * kernel to UDP destination port 4789) are decoded here, outer IPv4/UDP, VXLAN (RFC 7348), inner Ethernet (VLAN tags
 * walked) and inner IPv4 with its TCP/UDP ports, into overlay flows: the outer VTEP tuple with the VNI, VM MACs, VM
 * addresses, protocol and ports, which list/flow reports as 11-value PORTS tuples. The raw transport's own tunnel
 * probes (inner payload starting "FLPR") are left out. Inner packets that are not IPv4 TCP/UDP first fragments (ARP,
 * ICMP, IPv6) are counted and skipped. On the loopback interface the kernel shows each datagram twice (as sent and as
 * received); the sent copy is ignored there, so counts are per datagram on every interface.
 */
import { type CapturedPacket, PACKET_OUTGOING } from "../probe/helper/framing.ts";
import type { PacketCapture } from "../probe/helper/probe-helper.ts";
import { isTunnelProbePayload } from "../probe/raw/probe-packets.ts";
import { ETHERTYPE_IPV4, decodeEthernet, macToString } from "../wire/ethernet.ts";
import { ipv4ToString } from "../wire/ipv4-address.ts";
import { IPPROTO_TCP, IPPROTO_UDP, decodeIpv4Header } from "../wire/ipv4.ts";
import { UDP_HEADER_LENGTH } from "../wire/udp.ts";
import { VXLAN_HEADER_LENGTH, VXLAN_UDP_PORT, decodeVxlan } from "../wire/vxlan.ts";
import type { AgentClock } from "./clock.ts";
import type { FlowSource, OverlayFlow, SniffedFlow } from "./flow-source.ts";

/** The loopback interface's index: Linux registers `lo` first in every network namespace. */
export const LOOPBACK_IFINDEX = 1;

/** Bytes of each captured packet the sniffer asks for: outer and inner headers with options and two VLAN tags fit. */
export const OVERLAY_SNAP_LENGTH = 256;

/** One decoded overlay packet: the outer (underlay) tuple and the inner flow. */
export interface OverlayPacket {
  /** Outer IPv4 addresses (the VTEPs), dotted quads. */
  sip: string;
  dip: string;
  /** Outer UDP ports (`dport` is the VXLAN port). */
  sport: number;
  dport: number;
  overlay: OverlayFlow;
}

/** Why a captured packet gave no overlay flow (counted by {@link OverlayFlowSource.skipped}). */
export type OverlaySkipReason = "malformed" | "not-vxlan" | "inner-not-ip" | "inner-not-tcp-udp" | "probe";

/** Every {@link OverlaySkipReason}. */
export const OVERLAY_SKIP_REASONS: readonly OverlaySkipReason[] = [
  "malformed",
  "not-vxlan",
  "inner-not-ip",
  "inner-not-tcp-udp",
  "probe",
];

/**
 * State of the overlay capture: `running` once started, `stopped` after close (or before start), `failed` when the
 * helper refused to start it, `unavailable` when the helper has no capture at all (then the sniffer is never built).
 */
export type OverlayCaptureState = "running" | "stopped" | "failed" | "unavailable";

/** Every {@link OverlayCaptureState}. */
export const OVERLAY_CAPTURE_STATES: readonly OverlayCaptureState[] = ["running", "stopped", "failed", "unavailable"];

/** What the sniffer reports as it works (the agent's metrics implement it: agent-metrics.ts, OverlayMetrics). */
export interface OverlayEvents {
  /** One captured datagram decoded into an overlay flow. */
  decoded(): void;
  /** One captured datagram that gave no flow, and why. */
  skipped(reason: OverlaySkipReason): void;
  /** One flow forgotten because the table was full. */
  evicted(): void;
  /** The number of flows remembered changed (new flow, eviction, expiry). */
  flows(count: number): void;
  /** The capture changed state. */
  captureState(state: OverlayCaptureState): void;
}

/** Reads the two 16-bit ports at `at` when present. */
function ports(bytes: Uint8Array, at: number, end: number): [number, number] | null {
  if (at + 4 > end) return null;
  return [(bytes[at] << 8) | bytes[at + 1], (bytes[at + 2] << 8) | bytes[at + 3]];
}

/**
 * Decodes one captured IPv4 packet (from its header on, possibly cut at the snap length) as VXLAN to `vxlanPort`.
 * Returns the overlay packet, or the reason it is none. Pure; never throws.
 */
export function decodeOverlayPacket(bytes: Uint8Array, vxlanPort = VXLAN_UDP_PORT): OverlayPacket | OverlaySkipReason {
  try {
    const outer = decodeIpv4Header(bytes, 0);
    if (outer.protocol !== IPPROTO_UDP || outer.fragmentOffset !== 0) return "not-vxlan";
    const end = Math.min(bytes.length, outer.totalLength);
    const udp = ports(bytes, outer.headerLength, end);
    if (udp === null) return "malformed";
    if (udp[1] !== vxlanPort) return "not-vxlan";
    const vxlanAt = outer.headerLength + UDP_HEADER_LENGTH;
    const vxlan = decodeVxlan(bytes.subarray(0, end), vxlanAt);
    const frameAt = vxlanAt + VXLAN_HEADER_LENGTH;
    const eth = decodeEthernet(bytes.subarray(0, end), frameAt);
    if (eth.etherType !== ETHERTYPE_IPV4) return "inner-not-ip";
    const innerAt = frameAt + eth.headerLength;
    const inner = decodeIpv4Header(bytes.subarray(0, end), innerAt);
    if (inner.protocol !== IPPROTO_TCP && inner.protocol !== IPPROTO_UDP) return "inner-not-tcp-udp";
    if (inner.fragmentOffset !== 0) return "inner-not-tcp-udp";
    const l4 = innerAt + inner.headerLength;
    const innerPorts = ports(bytes, l4, end);
    if (innerPorts === null) return "malformed";
    if (inner.protocol === IPPROTO_UDP && isTunnelProbePayload(bytes.subarray(l4 + UDP_HEADER_LENGTH, end))) {
      return "probe";
    }
    return {
      sip: ipv4ToString(outer.srcAddr),
      dip: ipv4ToString(outer.dstAddr),
      sport: udp[0],
      dport: udp[1],
      overlay: {
        vnid: vxlan.vni,
        vmSmac: macToString(eth.srcMac),
        vmDmac: macToString(eth.dstMac),
        vmSip: ipv4ToString(inner.srcAddr),
        vmDip: ipv4ToString(inner.dstAddr),
        vmProto: inner.protocol === IPPROTO_TCP ? "tcp" : "udp",
        vmSport: innerPorts[0],
        vmDport: innerPorts[1],
      },
    };
  } catch {
    return "malformed";
  }
}

/** Options of {@link OverlayFlowSource}. */
export interface OverlayFlowOptions {
  /** Where packets come from: the probe helper (or a test double). */
  capture: PacketCapture;
  clock: AgentClock;
  /** VXLAN UDP port captured and decoded (default 4789). */
  vxlanPort?: number;
  /** Interface to capture on (default every interface of the helper's namespace). */
  ifname?: string;
  /** How long a flow no longer seen is still listed (by list/flow without `active=True`), ms; default 10 min. */
  retentionMs?: number;
  /** Most flows remembered; beyond it the least recently seen is forgotten (default 10000). */
  maxFlows?: number;
  /** Told of every decode, skip, eviction and capture state change (metrics); default none. */
  events?: OverlayEvents;
}

/** The overlay (VXLAN) flows seen on the host's underlay, for list/flow. Call {@link start} before use. */
export class OverlayFlowSource implements FlowSource {
  /** Flow source name. */
  readonly name = "overlay";
  readonly #options: Required<Omit<OverlayFlowOptions, "ifname" | "events">> & { ifname: string };
  readonly #events: OverlayEvents | undefined;
  readonly #known = new Map<string, SniffedFlow>();
  readonly #skipped = new Map<OverlaySkipReason, number>();
  #started = false;
  /** Captured packets decoded into a flow. */
  decoded = 0;
  /** Flows forgotten because {@link OverlayFlowOptions.maxFlows} was reached. */
  evicted = 0;

  constructor(options: OverlayFlowOptions) {
    const { events, ...rest } = options;
    this.#options = { vxlanPort: VXLAN_UDP_PORT, retentionMs: 600_000, maxFlows: 10_000, ifname: "", ...rest };
    this.#events = events;
  }

  /** Captured packets that gave no flow, by reason. */
  get skipped(): ReadonlyMap<OverlaySkipReason, number> {
    return this.#skipped;
  }

  /** Starts the capture. @throws HelperCaptureError / HelperClosedError from the helper (state `failed`). */
  async start(): Promise<void> {
    try {
      await this.#options.capture.startCapture(
        { udpDstPort: this.#options.vxlanPort, snapLength: OVERLAY_SNAP_LENGTH, ifname: this.#options.ifname },
        (p) => this.add(p),
      );
    } catch (e) {
      this.#events?.captureState("failed");
      throw e;
    }
    this.#started = true;
    this.#events?.captureState("running");
  }

  /**
   * Records one captured packet (what the capture callback does; tests call it directly). A packet sent on the
   * loopback interface is left out: the same datagram comes again as received.
   */
  add(packet: Pick<CapturedPacket, "bytes"> & Partial<Pick<CapturedPacket, "ifindex" | "packetType">>): void {
    if (packet.ifindex === LOOPBACK_IFINDEX && packet.packetType === PACKET_OUTGOING) return;
    const p = decodeOverlayPacket(packet.bytes, this.#options.vxlanPort);
    if (typeof p === "string") {
      this.#skipped.set(p, (this.#skipped.get(p) ?? 0) + 1);
      this.#events?.skipped(p);
      return;
    }
    this.decoded++;
    this.#events?.decoded();
    const now = this.#options.clock.now();
    const o = p.overlay;
    const key = [
      p.sip,
      p.dip,
      p.sport,
      p.dport,
      o.vnid,
      o.vmSmac,
      o.vmDmac,
      o.vmSip,
      o.vmDip,
      o.vmProto,
      o.vmSport,
      o.vmDport,
    ].join("|");
    const known = this.#known.get(key);
    if (known !== undefined) {
      known.lastSeenMs = now;
      // Map order is insertion order: re-inserting keeps the least recently seen flow first for eviction.
      this.#known.delete(key);
      this.#known.set(key, known);
      return;
    }
    if (this.#known.size >= this.#options.maxFlows) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
      this.evicted++;
      this.#events?.evicted();
    }
    this.#known.set(key, { ...p, proto: "udp", firstSeenMs: now, lastSeenMs: now });
    this.#events?.flows(this.#known.size);
  }

  /** Every overlay flow seen within the retention, outer tuple plus {@link OverlayFlow}. */
  flows(): readonly SniffedFlow[] {
    const now = this.#options.clock.now();
    for (const [key, flow] of this.#known) {
      if (now - flow.lastSeenMs > this.#options.retentionMs) this.#known.delete(key);
    }
    this.#events?.flows(this.#known.size);
    return [...this.#known.values()];
  }

  /** Stops the capture (best effort: a helper already gone is fine). */
  async close(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#events?.captureState("stopped");
    await this.#options.capture.stopCapture().catch(() => undefined);
  }
}
