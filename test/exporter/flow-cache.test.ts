import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  FlowCache,
  flowKeyHash,
  FlowCacheOptionError,
  type FlowCacheOptions,
  type FlowEndReason,
  type FlowRecord,
} from "../../src/exporter/flow-cache.ts";
import type { PacketInfo } from "../../src/exporter/packet-parser.ts";

function pkt(over: Partial<PacketInfo> = {}): PacketInfo {
  return {
    srcAddr: 0x0a000001,
    dstAddr: 0x0a000002,
    prot: 17,
    srcPort: 1000,
    dstPort: 53,
    tcpFlags: 0,
    tos: 0,
    ipLength: 100,
    timestampMs: 1000,
    input: 1,
    output: 2,
    fragment: false,
    ...over,
  };
}

const OPTS: FlowCacheOptions = { activeTimeoutMs: 60_000, inactiveTimeoutMs: 15_000, tcpCloseTimeoutMs: 5000 };

describe("FlowCache", () => {
  it("keys flows by source, destination, protocol, ports, ToS and input interface", () => {
    const c = new FlowCache(OPTS);
    const variants: Partial<PacketInfo>[] = [
      {},
      { srcAddr: 0x0a000009 },
      { dstAddr: 0x0a000009 },
      { prot: 6 },
      { srcPort: 1001 },
      { dstPort: 54 },
      { tos: 0x10 },
      { input: 3 },
    ];
    for (const v of variants) c.add(pkt(v));
    // Same key: only time, length, output and flags differ.
    c.add(pkt({ timestampMs: 1500, ipLength: 40, output: 9 }));
    assert.equal(c.size, variants.length);
    const flows = c.flushAll();
    assert.equal(flows.length, variants.length);
    const base = flows.find((f) => f.dPkts === 2)!;
    assert.deepEqual(base, {
      srcAddr: 0x0a000001,
      dstAddr: 0x0a000002,
      prot: 17,
      srcPort: 1000,
      dstPort: 53,
      tos: 0,
      input: 1,
      output: 2,
      dPkts: 2,
      dOctets: 140,
      firstMs: 1000,
      lastMs: 1500,
      tcpFlags: 0,
      reason: "flushed",
    });
    assert.equal(c.size, 0);
    assert.equal(c.counters.flushed, variants.length);
  });

  it("ORs the TCP flags of a flow", () => {
    const c = new FlowCache(OPTS);
    c.add(pkt({ prot: 6, tcpFlags: 0x02 }));
    c.add(pkt({ prot: 6, tcpFlags: 0x10, timestampMs: 1001 }));
    c.add(pkt({ prot: 6, tcpFlags: 0x18, timestampMs: 1002 }));
    assert.equal(c.flushAll()[0].tcpFlags, 0x1a);
  });

  it("ends a flow once it has been idle for the inactive timeout", () => {
    const c = new FlowCache(OPTS);
    c.add(pkt({ timestampMs: 1000 }));
    c.add(pkt({ timestampMs: 4000 }));
    assert.deepEqual(c.expire(18_999), []);
    const [f] = c.expire(19_000);
    assert.equal(f.reason, "inactive");
    assert.equal(f.dPkts, 2);
    assert.equal(c.size, 0);
    assert.equal(c.counters.inactive, 1);
  });

  it("ends a long-lived flow at the active timeout and starts a new one with the next packet", () => {
    const c = new FlowCache(OPTS);
    const done: FlowRecord[] = [];
    for (let t = 0; t <= 90_000; t += 1000) {
      c.expire(t, done);
      c.add(pkt({ timestampMs: t }));
    }
    assert.equal(done.length, 1);
    assert.deepEqual([done[0].reason, done[0].firstMs, done[0].lastMs, done[0].dPkts], ["active", 0, 59_000, 60]);
    const [rest] = c.flushAll();
    assert.deepEqual([rest.firstMs, rest.lastMs, rest.dPkts], [60_000, 90_000, 31]);
  });

  it("ends a TCP flow the close timeout after FIN or RST, extended by later packets", () => {
    const c = new FlowCache(OPTS);
    const tcp = (flags: number, t: number, srcPort = 2000) =>
      pkt({ prot: 6, srcPort, tcpFlags: flags, timestampMs: t });
    c.add(tcp(0x02, 0));
    c.add(tcp(0x11, 1000));
    c.add(tcp(0x10, 2000)); // the final ACK joins the closing flow
    c.add(tcp(0x04, 3000, 3000)); // a RST-only flow
    assert.deepEqual(c.expire(6999), []);
    const ended = c.expire(8000);
    assert.deepEqual(
      ended.map((f) => [f.srcPort, f.reason, f.dPkts, f.tcpFlags]),
      [
        [2000, "tcp-close", 3, 0x13],
        [3000, "tcp-close", 1, 0x04],
      ],
    );
    // UDP never closes early; a 0 close timeout ends TCP at the next expire.
    const now = new FlowCache({ ...OPTS, tcpCloseTimeoutMs: 0 });
    now.add(tcp(0x01, 100));
    now.add(pkt({ tcpFlags: 0, timestampMs: 100 }));
    assert.deepEqual(
      now.expire(100).map((f) => f.reason),
      ["tcp-close"],
    );
    assert.equal(now.size, 1);
  });

  it("evicts the least recently updated flow when full, counts it and returns it with the next expire", () => {
    const c = new FlowCache({ ...OPTS, maxFlows: 4 });
    for (let i = 0; i < 4; i++) c.add(pkt({ srcPort: i, timestampMs: 1000 + i }));
    c.add(pkt({ srcPort: 0, timestampMs: 2000 })); // flow 0 is now the most recent
    c.add(pkt({ srcPort: 10, timestampMs: 2001 }));
    c.add(pkt({ srcPort: 11, timestampMs: 2002 }));
    assert.equal(c.size, 4);
    assert.equal(c.counters.evicted, 2);
    const out = c.expire(2002);
    assert.deepEqual(
      out.map((f) => [f.srcPort, f.reason]),
      [
        [1, "evicted"],
        [2, "evicted"],
      ],
    );
    assert.deepEqual(
      c
        .flushAll()
        .map((f) => f.srcPort)
        .sort((a, b) => a - b),
      [0, 3, 10, 11],
    );
  });

  it("starts a new flow before dOctets would pass 2^32 - 1", () => {
    const c = new FlowCache(OPTS);
    const n = Math.floor(0xffffffff / 65535);
    for (let i = 0; i < n + 1; i++) c.add(pkt({ ipLength: 65535, timestampMs: 1000 }));
    const out = c.flushAll();
    assert.deepEqual(
      out.map((f) => [f.reason, f.dPkts, f.dOctets]),
      [
        ["counter-limit", n, n * 65535],
        ["flushed", 1, 65535],
      ],
    );
    assert.equal(c.counters.counterLimit, 1);
  });

  it("keeps flows findable when a deletion shifts a probe run that wraps around the table", () => {
    // maxFlows 4 gives 8 slots. A and B hash to slot 7, D to slot 0: A sits at 7, D at 0, B wraps to 1.
    const home = (srcPort: number) => {
      const p = pkt({ srcPort });
      const w3 = ((p.prot << 24) | (p.tos << 16) | p.input) >>> 0;
      return flowKeyHash(p.srcAddr, p.dstAddr, ((srcPort << 16) | p.dstPort) >>> 0, w3) & 7;
    };
    const ports = Array.from({ length: 2000 }, (_, i) => i);
    const [a, b] = ports.filter((port) => home(port) === 7);
    const d = ports.find((port) => home(port) === 0)!;
    const c = new FlowCache({ ...OPTS, maxFlows: 4 });
    c.add(pkt({ srcPort: a, timestampMs: 0 }));
    c.add(pkt({ srcPort: d, timestampMs: 1 }));
    c.add(pkt({ srcPort: b, timestampMs: 2 }));
    assert.deepEqual(
      c.expire(15_000).map((f) => f.srcPort),
      [a],
    );
    // Deleting A must leave D at its home slot 0 (and move B back to 7), so D is found again.
    c.add(pkt({ srcPort: d, timestampMs: 3 }));
    c.add(pkt({ srcPort: b, timestampMs: 4 }));
    assert.equal(c.size, 2);
    assert.deepEqual(
      c
        .flushAll()
        .map((f) => [f.srcPort, f.dPkts])
        .sort((x, y) => x[0] - y[0]),
      [
        [Math.min(b, d), 2],
        [Math.max(b, d), 2],
      ],
    );
  });

  it("rejects bad settings", () => {
    assert.throws(() => new FlowCache({ maxFlows: 0 }), FlowCacheOptionError);
    assert.throws(() => new FlowCache({ activeTimeoutMs: -1 }), { code: "ERR_FLOW_CACHE_OPTION" });
    assert.throws(() => new FlowCache({ inactiveTimeoutMs: Number.NaN }), FlowCacheOptionError);
  });

  it("ends exactly the flows a brute-force model ends, with the same counts", () => {
    const packet = fc.record({
      key: fc.integer({ min: 0, max: 40 }),
      dt: fc.integer({ min: 1, max: 4000 }),
      len: fc.integer({ min: 20, max: 1500 }),
      flags: fc.constantFrom(0, 0x02, 0x10, 0x11, 0x04, 0x18),
      expire: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(packet, { maxLength: 300 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 3000),
        (packets, maxFlows, close) => {
          const options = { maxFlows, activeTimeoutMs: 20_000, inactiveTimeoutMs: 6000, tcpCloseTimeoutMs: close };
          const cache = new FlowCache(options);
          const model = new ModelCache(options);
          let t = 0;
          for (const p of packets) {
            t += p.dt;
            const info = pkt({ srcPort: p.key, prot: p.key % 2 === 0 ? 6 : 17, ipLength: p.len, timestampMs: t });
            info.tcpFlags = info.prot === 6 ? p.flags : 0;
            cache.add(info);
            model.add(info);
            if (p.expire) assert.deepEqual(sorted(cache.expire(t)), sorted(model.expire(t)));
            assert.equal(cache.size, model.flows.length);
          }
          assert.deepEqual(sorted(cache.flushAll()), sorted(model.flushAll()));
          assert.equal(cache.size, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

function sorted(flows: FlowRecord[]): string[] {
  return flows.map((f) => JSON.stringify(f)).sort();
}

/** The same rules in the plainest form: a list searched linearly. Needs strictly increasing packet times. */
class ModelCache {
  flows: (FlowRecord & { closing: boolean })[] = [];
  pending: FlowRecord[] = [];
  constructor(readonly o: Required<FlowCacheOptions>) {}

  static done(f: FlowRecord, reason: FlowEndReason): FlowRecord {
    const { srcAddr, dstAddr, prot, srcPort, dstPort, tos, input, output, dPkts, dOctets, firstMs, lastMs } = f;
    const fields = { srcAddr, dstAddr, prot, srcPort, dstPort, tos, input, output, dPkts, dOctets, firstMs, lastMs };
    return { ...fields, tcpFlags: f.tcpFlags, reason };
  }

  add(p: PacketInfo): void {
    const same = (f: FlowRecord) =>
      f.srcAddr === p.srcAddr &&
      f.dstAddr === p.dstAddr &&
      f.prot === p.prot &&
      f.srcPort === p.srcPort &&
      f.dstPort === p.dstPort &&
      f.tos === p.tos &&
      f.input === p.input;
    let f = this.flows.find(same);
    if (f !== undefined && f.dOctets + p.ipLength > 0xffffffff) {
      this.#remove(f, "counter-limit", this.pending);
      f = undefined;
    }
    if (f === undefined) {
      if (this.flows.length === this.o.maxFlows) {
        const victim = this.flows.reduce((a, b) => (b.lastMs < a.lastMs ? b : a));
        this.#remove(victim, "evicted", this.pending);
      }
      const times = { dPkts: 0, dOctets: 0, firstMs: p.timestampMs, lastMs: p.timestampMs };
      f = { ...ModelCache.done({ ...p, ...times, reason: "flushed" }, "flushed"), closing: false };
      this.flows.push(f);
    }
    f.dPkts++;
    f.dOctets += p.ipLength;
    f.lastMs = p.timestampMs;
    f.tcpFlags |= p.tcpFlags;
    if (p.prot === 6 && (p.tcpFlags & 0x05) !== 0) f.closing = true;
  }

  expire(now: number): FlowRecord[] {
    const out = this.pending;
    this.pending = [];
    for (const f of [...this.flows]) {
      if (f.closing && now - f.lastMs >= this.o.tcpCloseTimeoutMs) this.#remove(f, "tcp-close", out);
      else if (!f.closing && now - f.lastMs >= this.o.inactiveTimeoutMs) this.#remove(f, "inactive", out);
      else if (now - f.firstMs >= this.o.activeTimeoutMs) this.#remove(f, "active", out);
    }
    return out;
  }

  flushAll(): FlowRecord[] {
    const out = this.pending;
    this.pending = [];
    for (const f of [...this.flows]) this.#remove(f, "flushed", out);
    return out;
  }

  #remove(f: FlowRecord & { closing: boolean }, reason: FlowEndReason, out: FlowRecord[]): void {
    this.flows.splice(this.flows.indexOf(f), 1);
    out.push(ModelCache.done(f, reason));
  }
}
