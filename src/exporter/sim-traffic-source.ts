/**
 * The simulated fabric's traffic as an exporter source (issue 4, "plus the simulated fabric's traffic for the embedded
 * default"; `input.simulation: true`). **A simulation**: nothing is captured. Every interval (1 s) the fabric's
 * application flows (`fabric.flows()`, docs/sim.md) are read, and the packets and bytes each flow sent since the last
 * read become synthetic packets: raw IPv4 headers (link type 101) with the flow's 5-tuple, IP total length set to the
 * flow's average packet size (the bytes are exact: sizes differ by at most one byte), TCP packets with ACK|PSH. They are
 * spread evenly over the interval in time order and go through the parser, the sampler and the flow cache like
 * captured packets, on the wall clock. What the flows had sent before the source started is not exported.
 *
 * The fabric is the caller's (flowlens exporter and flowlens up create it in src/cli): only the flow record's type comes
 * from `src/sim/`.
 */
import type { SimFlow } from "../sim/index.ts";
import type { CapturedPacket } from "../wire/capture-parser.ts";

/** Link type of the synthetic packets: raw IPv4 (LINKTYPE_RAW). */
export const SIM_TRAFFIC_LINK_TYPE = 101;
/** How often the fabric's flows are read, ms. */
export const SIM_TRAFFIC_INTERVAL_MS = 1000;

/** What the source reads: a simulated fabric (`SimFabric` fits). */
export interface SimTrafficFabric {
  /** The fabric's application flows with their running packet and byte counts. */
  flows(): SimFlow[];
}

interface Pending {
  frame: Uint8Array;
  view: DataView;
  count: number;
  /** Bytes of each packet: `size`, the first `extra` ones `size + 1`. */
  size: number;
  extra: number;
  sent: number;
}

const keyOf = (f: SimFlow): string => `${f.src} ${f.dst} ${f.proto} ${f.sport} ${f.dport}`;

function ipv4(text: string): number {
  const p = text.split(".").map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** A raw IPv4 + TCP/UDP header of the flow's tuple (lengths filled in per packet). */
function frameOf(f: SimFlow): Uint8Array {
  const tcp = f.proto === "tcp";
  const frame = new Uint8Array(20 + (tcp ? 20 : 8));
  const v = new DataView(frame.buffer);
  v.setUint8(0, 0x45);
  v.setUint8(8, 64);
  v.setUint8(9, tcp ? 6 : 17);
  v.setUint32(12, ipv4(f.src));
  v.setUint32(16, ipv4(f.dst));
  v.setUint16(20, f.sport);
  v.setUint16(22, f.dport);
  if (tcp) {
    v.setUint8(32, 5 << 4);
    v.setUint8(33, 0x18);
  }
  return frame;
}

/**
 * Turns the growth of the fabric's flow counters into synthetic packets. {@link SimTrafficSource.step} is pure but for
 * the fabric it reads; {@link runSimTraffic} drives it on the wall clock.
 */
export class SimTrafficSource {
  readonly #fabric: SimTrafficFabric;
  readonly #seen = new Map<string, { packets: number; bytes: number }>();
  readonly #frames = new Map<string, Uint8Array>();

  /** Starts counting from the flows' present counts (what they sent before is not exported). */
  constructor(fabric: SimTrafficFabric) {
    this.#fabric = fabric;
    for (const f of fabric.flows()) this.#seen.set(keyOf(f), { packets: f.packets, bytes: f.bytes });
  }

  /**
   * Reads the flows and hands every packet they sent since the last step to `emit`, in time order, spread over
   * [`fromMs`, `toMs`): `p.timestampNs` is `fromMs` and `dtMs` the packet's time after it. Returns the packets emitted.
   */
  step(fromMs: number, toMs: number, emit: (p: CapturedPacket, dtMs: number) => void): number {
    const pending: Pending[] = [];
    for (const f of this.#fabric.flows()) {
      const key = keyOf(f);
      const before = this.#seen.get(key) ?? { packets: 0, bytes: 0 };
      this.#seen.set(key, { packets: f.packets, bytes: f.bytes });
      const count = f.packets - before.packets;
      const bytes = f.bytes - before.bytes;
      if (count <= 0 || bytes <= 0) continue;
      let frame = this.#frames.get(key);
      if (frame === undefined) {
        frame = frameOf(f);
        this.#frames.set(key, frame);
      }
      const size = Math.max(frame.length, Math.floor(bytes / count));
      const extra = size * count < bytes ? Math.min(count, bytes - size * count) : 0;
      pending.push({ frame, view: new DataView(frame.buffer), count, size, extra, sent: 0 });
    }
    const span = Math.max(0, toMs - fromMs);
    const p: CapturedPacket = {
      timestampNs: BigInt(Math.floor(fromMs)) * 1_000_000n,
      linkType: SIM_TRAFFIC_LINK_TYPE,
      data: new Uint8Array(0),
      origLen: 0,
      interfaceId: 0,
      fileOffset: 0,
    };
    let emitted = 0;
    for (;;) {
      // The flow whose next packet is earliest (a handful of flows: a linear scan).
      let next: Pending | undefined;
      let at = Number.POSITIVE_INFINITY;
      for (const q of pending) {
        if (q.sent >= q.count) continue;
        const t = ((q.sent + 0.5) * span) / q.count;
        if (t < at) {
          at = t;
          next = q;
        }
      }
      if (next === undefined) return emitted;
      const len = next.size + (next.sent < next.extra ? 1 : 0);
      next.view.setUint16(2, len);
      if (next.frame[9] === 17) next.view.setUint16(24, len - 20);
      p.data = next.frame;
      p.origLen = len;
      next.sent++;
      emitted++;
      emit(p, Math.floor(at));
    }
  }
}

/** Options of {@link runSimTraffic}. */
export interface RunSimTrafficOptions {
  /** Interval between reads, ms (default {@link SIM_TRAFFIC_INTERVAL_MS}). */
  intervalMs?: number;
  /** Stops the source; the promise then resolves with the packets emitted. */
  signal: AbortSignal;
}

/**
 * Reads `fabric` every interval on the wall clock and hands its packets to `emit` (see {@link SimTrafficSource.step})
 * until `signal` aborts (a last read then emits what was sent up to that moment).
 * @throws whatever the fabric throws (the source then stops).
 */
export function runSimTraffic(
  fabric: SimTrafficFabric,
  emit: (p: CapturedPacket, dtMs: number) => void,
  options: RunSimTrafficOptions,
): Promise<number> {
  const source = new SimTrafficSource(fabric);
  let last = Date.now();
  let total = 0;
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      resolve(0);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const stepTo = (now: number): boolean => {
      try {
        total += source.step(last, now, emit);
        last = now;
        return true;
      } catch (e) {
        clearInterval(timer);
        reject(e);
        return false;
      }
    };
    timer = setInterval(() => stepTo(Date.now()), options.intervalMs ?? SIM_TRAFFIC_INTERVAL_MS);
    timer.unref();
    options.signal.addEventListener(
      "abort",
      () => {
        clearInterval(timer);
        if (stepTo(Date.now())) resolve(total);
      },
      { once: true },
    );
  });
}
