/**
 * The `ID` element (a Python tuple repr, compute-agent-api.txt Table 6 and the examples), the active/* tuple orders
 * (`[DIP, SIP, PROTO, SPORT, DPORT]`, Table 25), and the interface rates of Table 14 from successive samples.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  activeFlowTuple,
  activeTunnelTuple,
  flowIdString,
  pythonStringRepr,
  pythonTupleRepr,
  tunnelIdString,
} from "../../src/agent/identifiers.ts";
import { RateTracker } from "../../src/agent/rate-tracker.ts";
import { counters } from "./fakes.ts";
import { SPEC_OVERLAY_TUNNEL } from "./spec-examples.ts";

const TUNNEL = SPEC_OVERLAY_TUNNEL;

describe("identifiers", () => {
  it("the ID strings of the spec's examples", () => {
    const flow = (proto: "tcp" | "udp", sport: number) => ({
      src: "10.1.1.1",
      dst: "10.1.7.1",
      proto,
      sport,
      dport: 9000,
    });
    assert.equal(flowIdString(flow("tcp", 4567)), "('10.1.1.1', '10.1.7.1', 6, 4567, 9000)");
    assert.equal(flowIdString(flow("udp", 54676)), "('10.1.1.1', '10.1.7.1', 17, 54676, 9000)");
    assert.equal(tunnelIdString(TUNNEL), "('10.10.11.11', '192.168.5.11', 200, '10.0.0.2', '10.0.0.3')");
  });

  it("active tuples in the spec's orders", () => {
    assert.deepEqual(activeFlowTuple({ src: "10.1.1.1", dst: "10.1.7.1", proto: "tcp", sport: 59010, dport: 9000 }), [
      "10.1.7.1",
      "10.1.1.1",
      "tcp",
      59010,
      9000,
    ]);
    assert.deepEqual(activeTunnelTuple(TUNNEL), ["10.10.11.11", "192.168.5.11", "10.0.0.3", "10.0.0.2", 200, 53812]);
  });

  it("Python repr rules: quotes, escapes, one-element tuple", () => {
    assert.equal(pythonStringRepr("it's"), `"it's"`);
    assert.equal(pythonStringRepr(`a'b"c`), `'a\\'b"c'`);
    assert.equal(pythonStringRepr("a\\b\n"), "'a\\\\b\\n'");
    assert.equal(pythonTupleRepr(["x"]), "('x',)");
    assert.equal(pythonTupleRepr([]), "()");
  });

  it("property: a flow ID parses back to its tuple", () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.ipV4(),
        fc.constantFrom("tcp" as const, "udp" as const),
        fc.integer({ min: 1, max: 65535 }),
        fc.integer({ min: 1, max: 65535 }),
        (src, dst, proto, sport, dport) => {
          const id = flowIdString({ src, dst, proto, sport, dport });
          const m = /^\('([\d.]+)', '([\d.]+)', (6|17), (\d+), (\d+)\)$/.exec(id);
          assert.ok(m !== null, id);
          assert.deepEqual(m.slice(1), [src, dst, proto === "tcp" ? "6" : "17", String(sport), String(dport)]);
        },
      ),
    );
  });
});

describe("RateTracker", () => {
  it("zero for a first sample, then per-second rates; the same sample again keeps the rates; a reset gives zero", () => {
    const r = new RateTracker();
    assert.deepEqual(r.rates("d", "xe-0/0/1.0", counters(10_000, 50), 0), { txPps: 0, rxPps: 0, txBw: 0, rxBw: 0 });
    const second = r.rates("d", "xe-0/0/1.0", counters(12_000, 50), 0);
    assert.deepEqual(second, { txPps: 50, rxPps: 100, txBw: 50_000, rxBw: 100_000 });
    assert.deepEqual(r.rates("d", "xe-0/0/1.0", counters(12_000, 50), 0), second);
    assert.deepEqual(r.rates("other", "xe-0/0/1.0", counters(12_000, 50), 0).txPps, 0, "per device");
    assert.deepEqual(r.rates("d", "xe-0/0/1.0", counters(13_000, 1), 0), { txPps: 0, rxPps: 0, txBw: 0, rxBw: 0 });
  });

  it("forgets interfaces not seen for the TTL", () => {
    const r = new RateTracker(1000);
    r.rates("d", "a", counters(0, 1), 0);
    r.rates("d", "b", counters(0, 1), 900);
    r.rates("d", "b", counters(1, 1), 1800);
    assert.equal(r.size, 1);
  });
});
