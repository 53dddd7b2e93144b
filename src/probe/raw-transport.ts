/**
 * The raw probe transport (`ProbeTransport` named `raw`, issue 6; docs/probe-helper.md, "Raw transport"): real packets
 * through the privileged helper `native/flowlens-probe`. Flow probes carry the flow's exact 5-tuple (UDP with its
 * checksum held constant or zero, TCP as bare ACKs), the TTL walking out, and the probe's identity in the IPv4
 * identification; ICMP Time Exceeded / Destination Unreachable are matched back through the quoted IPv4 header and
 * ports, and TCP answers of the destination through their ports and sequence number. RTTs come from the helper's kernel
 * receive timestamps. VXLAN tunnel probes carry the tunnel's outer tuple (VTEP to VTEP, outer source port to 4789) with
 * the VNI and the inner Ethernet/IPv4 frame; Time Exceeded is matched through the quoted outer headers, and the tunnel
 * endpoint is recognised by the inner packet's ICMP answer coming back through the tunnel (docs/probe-helper.md,
 * "Tunnel probes"). A router's Destination Unreachable is reported as `unreachable`.
 */
import { randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ipv4FromString, ipv4ToString } from "../wire/ipv4-address.ts";
import { IPPROTO_TCP, IPPROTO_UDP } from "../wire/ipv4.ts";
import { TCP_RST } from "../wire/tcp-flags.ts";
import { HelperClosedError } from "./helper/errors.ts";
import type { ReceivedPacket } from "./helper/framing.ts";
import { ProbeHelper, type ProbeHelperOptions } from "./helper/probe-helper.ts";
import { VXLAN_UDP_PORT } from "../wire/vxlan.ts";
import {
  TUNNEL_PROBE_INNER_PORT,
  encodeTcpProbe,
  encodeTunnelProbe,
  encodeUdpProbe,
  udpFlowChecksum,
} from "./raw/probe-packets.ts";
import { type ParsedReply, parseReply } from "./raw/reply-parser.ts";
import type {
  FlowTuple,
  ProbeBatchOptions,
  ProbeReply,
  ProbeTarget,
  ProbeTransport,
  TunnelTuple,
} from "./transport.ts";

/** Options of {@link createRawTransport}: where the helper is and what to run it under. */
export interface RawTransportOptions {
  /** Path of the helper binary (default: `native/build/flowlens-probe`). */
  helperPath?: string;
  /** Command prefix that execs the helper, e.g. `["ip", "netns", "exec", "lab-h1"]`. */
  wrapper?: readonly string[];
  /** Called with each non-fatal helper ERROR line (a refused send, say). */
  onError?: (line: string) => void;
}

/** Probe options the raw transport cannot honour (`ERR_RAW_PROBE_OPTIONS`): a TTL outside 1..255, a bad timeout. */
export class RawProbeOptionsError extends Error {
  /** Stable error code. */
  readonly code = "ERR_RAW_PROBE_OPTIONS";
  constructor(message: string) {
    super(message);
    this.name = "RawProbeOptionsError";
  }
}

/** The addresses, protocol and ports of a probe's IPv4 packet (the outer one of a tunnel probe). */
interface ProbeFlow {
  proto: number;
  srcAddr: number;
  dstAddr: number;
  srcPort: number;
  dstPort: number;
}

/** One probe in flight. */
interface Pending {
  ttl: number;
  /** Keys in the ICMP map: protocol, addresses and IP ID as sent (a tunnel probe has the outer and the inner one). */
  keys: string[];
  flow: ProbeFlow;
  /** A tunnel probe's inner packet, whose ICMP answer means the tunnel endpoint decapsulated the probe. */
  inner: ProbeFlow | null;
  identification: number;
  /** TCP probes: the acknowledgment number, which a RST carries back as its sequence number. */
  ack: number | null;
  /** Send time, epoch nanoseconds (hrtime anchored to the wall clock). */
  sentNs: bigint;
  reply: ProbeReply | null;
  batch: Batch;
}

/** One call of `probe()`. */
interface Batch {
  probes: Pending[];
  done: boolean;
  finish: () => void;
}

const NS_PER_SEC = 1_000_000_000n;

/** What one probe of a batch is, before it is sent. */
interface ProbeSpec {
  packet: Uint8Array;
  pending: Omit<Pending, "sentNs" | "reply" | "batch">;
}

/** Key of the ICMP map. */
function icmpKey(proto: number, src: number, dst: number, id: number): string {
  return `${proto}:${src}:${dst}:${id}`;
}

/** `a.b.c.d:port` key of a TCP flow as the probe sent it. */
function tcpFlowKey(src: number, dst: number, sport: number, dport: number): string {
  return `${src}:${dst}:${sport}:${dport}`;
}

/**
 * The `raw` probe transport. Create with {@link createRawTransport}; always {@link RawTransport.close} it. Batches may
 * run concurrently (one per flow); each probe holds a distinct IP ID among those in flight for the same address pair.
 */
export class RawTransport implements ProbeTransport {
  /** Transport name reported by the agent. */
  readonly name = "raw";
  /** Real packets, not a simulation. */
  readonly simulated = false;
  readonly #helper: ProbeHelper;
  readonly #pending = new Map<string, Pending>();
  readonly #tcpFlows = new Map<string, Set<Pending>>();
  readonly #pump: Promise<void>;
  /** Wall-clock anchor of the hrtime clock, epoch nanoseconds, and the hrtime it was taken at. */
  readonly #epochAnchorNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;
  readonly #hrAnchor = process.hrtime.bigint();
  readonly #ackBase = randomInt(2 ** 32);
  #nextId = randomInt(1, 65536);
  #closed = false;
  /** Received packets that matched no probe in flight. */
  unmatched = 0;

  /** Wraps a started helper; prefer {@link createRawTransport}. */
  constructor(helper: ProbeHelper) {
    this.#helper = helper;
    this.#pump = this.#run();
  }

  /** Sends one probe per TTL and resolves with one reply per TTL in `options.ttls` order. */
  async probe(target: ProbeTarget, options: ProbeBatchOptions): Promise<ProbeReply[]> {
    for (const ttl of options.ttls) {
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new RawProbeOptionsError(`TTL ${ttl} outside 1..255`);
    }
    if (!(options.timeoutMs >= 0)) throw new RawProbeOptionsError(`timeout ${options.timeoutMs} ms`);
    if (this.#closed) throw new HelperClosedError("raw probe transport is closed");
    if (options.signal?.aborted) return options.ttls.map((ttl) => timeoutReply(ttl));
    if (target.kind === "tunnel") return this.#probeTunnel(target.tunnel, options);
    return this.#probeFlow(target.flow, target.checksum, options);
  }

  /** The helper under this transport: its capture (overlay sniffing) shares the process with the probes. */
  get helper(): ProbeHelper {
    return this.#helper;
  }

  /** Stops the helper (closes its stdin, kills it by PID after 2 s); batches in flight resolve as timeouts. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#helper.close();
    await this.#pump;
    this.#finishAll();
  }

  #probeFlow(flow: FlowTuple, checksum: boolean, options: ProbeBatchOptions): Promise<ProbeReply[]> {
    const proto = flow.proto === "tcp" ? IPPROTO_TCP : IPPROTO_UDP;
    const f: ProbeFlow = {
      proto,
      srcAddr: ipv4FromString(flow.src),
      dstAddr: ipv4FromString(flow.dst),
      srcPort: flow.sport,
      dstPort: flow.dport,
    };
    const held = proto === IPPROTO_UDP && checksum ? udpFlowChecksum(f.srcAddr, f.dstAddr, f.srcPort, f.dstPort) : null;
    // A random sequence number per batch: a live connection's receive window covers it with negligible chance, and a
    // bare ACK outside the window draws at most a duplicate ACK, never a reset (RFC 9293, 3.10.7.4).
    const seq = randomInt(2 ** 32);
    return this.#sendBatch(options, (ttl) => {
      const identification = this.#allocateId([f]);
      const ack = proto === IPPROTO_TCP ? (this.#ackBase + identification) >>> 0 : null;
      const fields = { ...f, ttl, identification };
      const packet =
        ack === null
          ? encodeUdpProbe({ ...fields, attempt: options.attempt, checksum: held })
          : encodeTcpProbe({ ...fields, sequenceNumber: seq, acknowledgmentNumber: ack });
      const keys = [icmpKey(proto, f.srcAddr, f.dstAddr, identification)];
      return { packet, pending: { ttl, keys, flow: f, inner: null, identification, ack } };
    });
  }

  /**
   * A tunnel's probes: outer UDP from the local VTEP and the tunnel's source port to the remote VTEP's port 4789, the
   * outer TTL walking the underlay; inner UDP `appsrc` → `appdst` port 33434 in a frame `appsmac` → `appdmac`.
   */
  #probeTunnel(tunnel: TunnelTuple, options: ProbeBatchOptions): Promise<ProbeReply[]> {
    const outer: ProbeFlow = {
      proto: IPPROTO_UDP,
      srcAddr: ipv4FromString(tunnel.src),
      dstAddr: ipv4FromString(tunnel.dst),
      srcPort: tunnel.sport,
      dstPort: VXLAN_UDP_PORT,
    };
    const inner: ProbeFlow = {
      proto: IPPROTO_UDP,
      srcAddr: ipv4FromString(tunnel.appsrc),
      dstAddr: ipv4FromString(tunnel.appdst),
      srcPort: tunnel.sport,
      dstPort: TUNNEL_PROBE_INNER_PORT,
    };
    return this.#sendBatch(options, (ttl) => {
      const identification = this.#allocateId([outer, inner]);
      const packet = encodeTunnelProbe({
        ...outer,
        ttl,
        identification,
        vni: tunnel.vnid,
        innerSrcMac: tunnel.appsmac,
        innerDstMac: tunnel.appdmac,
        innerSrcAddr: inner.srcAddr,
        innerDstAddr: inner.dstAddr,
        innerSrcPort: inner.srcPort,
        attempt: options.attempt,
      });
      const keys = [outer, inner].map((x) => icmpKey(x.proto, x.srcAddr, x.dstAddr, identification));
      return { packet, pending: { ttl, keys, flow: outer, inner, identification, ack: null } };
    });
  }

  /** Builds and sends one probe per TTL, then resolves when every TTL up to the end of the path answered or on timeout. */
  #sendBatch(options: ProbeBatchOptions, build: (ttl: number) => ProbeSpec): Promise<ProbeReply[]> {
    return new Promise<ProbeReply[]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const batch: Batch = { probes: [], done: false, finish: () => {} };
      const onAbort = () => batch.finish();
      batch.finish = () => {
        if (batch.done) return;
        batch.done = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        for (const p of batch.probes) this.#forget(p);
        // Probes beyond the destination (or a router refusing them) get there too; like the simulation, only the
        // nearest answer counts.
        const reach = endTtl(batch);
        resolve(batch.probes.map((p) => (p.reply !== null && p.ttl <= reach ? p.reply : timeoutReply(p.ttl))));
      };
      try {
        for (const ttl of options.ttls) {
          const spec = build(ttl);
          const p: Pending = { ...spec.pending, sentNs: 0n, reply: null, batch };
          batch.probes.push(p);
          for (const key of p.keys) this.#pending.set(key, p);
          if (p.ack !== null) {
            const k = tcpFlowKey(p.flow.srcAddr, p.flow.dstAddr, p.flow.srcPort, p.flow.dstPort);
            const set = this.#tcpFlows.get(k) ?? new Set<Pending>();
            set.add(p);
            this.#tcpFlows.set(k, set);
          }
          p.sentNs = this.#nowNs();
          this.#helper.send(spec.packet);
        }
      } catch (e) {
        batch.done = true;
        for (const p of batch.probes) this.#forget(p);
        reject(e);
        return;
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(batch.finish, options.timeoutMs);
      if (batch.probes.length === 0) batch.finish();
    });
  }

  /** The next IP ID (1..65535) not in flight for any of these packets' protocol and address pair. */
  #allocateId(flows: readonly ProbeFlow[]): number {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.#nextId;
      this.#nextId = id === 65535 ? 1 : id + 1;
      if (flows.every((f) => !this.#pending.has(icmpKey(f.proto, f.srcAddr, f.dstAddr, id)))) return id;
    }
    throw new RawProbeOptionsError("65535 probes in flight for one address pair");
  }

  #forget(p: Pending): void {
    for (const key of p.keys) if (this.#pending.get(key) === p) this.#pending.delete(key);
    if (p.ack !== null) {
      const k = tcpFlowKey(p.flow.srcAddr, p.flow.dstAddr, p.flow.srcPort, p.flow.dstPort);
      const set = this.#tcpFlows.get(k);
      set?.delete(p);
      if (set?.size === 0) this.#tcpFlows.delete(k);
    }
  }

  #nowNs(): bigint {
    return this.#epochAnchorNs + (process.hrtime.bigint() - this.#hrAnchor);
  }

  async #run(): Promise<void> {
    try {
      for await (const packet of this.#helper) this.#onPacket(packet);
    } catch {
      // The helper failed (a corrupt stream): it is killed; batches in flight end as timeouts below.
    }
    this.#closed = true;
    this.#finishAll();
  }

  #finishAll(): void {
    for (const p of [...this.#pending.values()]) p.batch.finish();
  }

  #onPacket(packet: ReceivedPacket): void {
    const r = parseReply(packet.bytes);
    const match = r === null ? null : this.#match(r);
    if (match === null || match.probe.reply !== null) {
      this.unmatched++;
      return;
    }
    const { probe, outcome, responder } = match;
    const ns = packet.receivedAtNs;
    const rtt = Number(ns - probe.sentNs) / 1e9;
    probe.reply = {
      ttl: probe.ttl,
      outcome,
      responder: ipv4ToString(responder),
      rttSeconds: Math.max(0, rtt),
      receivedAt: { sec: Number(ns / NS_PER_SEC), usec: Number((ns % NS_PER_SEC) / 1000n) },
    };
    if (match.code !== undefined) probe.reply.unreachableCode = match.code;
    const reach = endTtl(probe.batch);
    if (probe.batch.probes.every((p) => p.reply !== null || p.ttl > reach)) probe.batch.finish();
  }

  /** The probe a parsed packet answers, and how; null when it answers none in flight. */
  #match(r: ParsedReply): Match | null {
    if (r.kind === "icmp") {
      const q = r.quoted;
      const p = this.#pending.get(icmpKey(q.protocol, q.srcAddr, q.dstAddr, q.identification));
      if (p === undefined) return null;
      const quotes = (f: ProbeFlow) =>
        q.srcAddr === f.srcAddr && q.dstAddr === f.dstAddr && q.srcPort === f.srcPort && q.dstPort === f.dstPort;
      if (p.inner !== null && quotes(p.inner)) {
        // The tunnel endpoint decapsulated the probe and its stack (or the VM behind it) answered the inner packet
        // (port unreachable to 33434) back through the tunnel: the tunnel's destination, reported as the remote VTEP.
        if (r.error !== "unreachable") return null;
        return { probe: p, outcome: "destination", responder: p.flow.dstAddr };
      }
      if (!quotes(p.flow)) return null;
      if (r.error === "time-exceeded") return { probe: p, outcome: "time-exceeded", responder: r.responder };
      // Destination Unreachable from the destination itself (port unreachable for UDP; a remote host without a VTEP
      // for a tunnel) is the destination; from anybody else it is a router refusing to forward the probe.
      if (r.responder === p.flow.dstAddr) return { probe: p, outcome: "destination", responder: r.responder };
      return { probe: p, outcome: "unreachable", responder: r.responder, code: r.code };
    }
    // A TCP answer comes back with the ports swapped.
    const set = this.#tcpFlows.get(tcpFlowKey(r.dstAddr, r.srcAddr, r.dstPort, r.srcPort));
    if (set === undefined) return null;
    let chosen: Pending | null = null;
    for (const p of set) {
      if (p.reply !== null) continue;
      // A reset to a bare ACK carries the ACK's acknowledgment number as its sequence number: the exact probe.
      if ((r.flags & TCP_RST) !== 0 && r.sequenceNumber === p.ack) {
        chosen = p;
        break;
      }
      // Otherwise (a live connection's duplicate ACK) the highest TTL still waiting: the likeliest to have arrived.
      if ((r.flags & TCP_RST) === 0 && (chosen === null || p.ttl > chosen.ttl)) chosen = p;
    }
    return chosen === null ? null : { probe: chosen, outcome: "destination", responder: r.srcAddr };
  }
}

/** How a received packet answers a probe. */
interface Match {
  probe: Pending;
  outcome: ProbeReply["outcome"];
  responder: number;
  /** ICMP code of an `unreachable` answer. */
  code?: number;
}

/** The smallest TTL in `batch` the destination answered or a router refused (unreachable), or Infinity. */
function endTtl(batch: Batch): number {
  let reach = Number.POSITIVE_INFINITY;
  for (const p of batch.probes) {
    const o = p.reply?.outcome;
    if ((o === "destination" || o === "unreachable") && p.ttl < reach) reach = p.ttl;
  }
  return reach;
}

function timeoutReply(ttl: number): ProbeReply {
  return { ttl, outcome: "timeout", responder: null, rttSeconds: null, receivedAt: null };
}

/**
 * Starts the helper and returns the `raw` transport over it.
 * @throws HelperUnavailableError (`ERR_PROBE_HELPER_UNAVAILABLE`) when the helper is not built, lacks CAP_NET_RAW or
 *   fails to start; its message says what to do.
 */
export async function createRawTransport(options: RawTransportOptions = {}): Promise<RawTransport> {
  const helperOptions: ProbeHelperOptions = {};
  if (options.helperPath !== undefined) helperOptions.helperPath = options.helperPath;
  if (options.wrapper !== undefined) helperOptions.wrapper = options.wrapper;
  if (options.onError !== undefined) helperOptions.onError = options.onError;
  return new RawTransport(await ProbeHelper.start(helperOptions));
}
