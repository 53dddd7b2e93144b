/**
 * Real device captures from ../shared/testdata/netflow/ (see its README.md): the facts listed there are checked here,
 * with one correction: the README's first/last time of the MX80 record comes from logstash-codec-netflow's expected
 * output, which is one second late (its Ruby `seconds--` is not a decrement, so a borrow from the milliseconds is
 * lost). The header says export at 1469109172 s with uptime 190649064 ms and the record's first = last = 190631000 ms,
 * 18.064 s earlier: 2016-07-21T13:52:33.936Z.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { WireError } from "../../src/wire/errors.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { decodeNetflow, isNetflowV5, netflowDatagramLength } from "../../src/wire/netflow.ts";
import { netflowRecordTimes } from "../../src/wire/netflow-time.ts";
import { forEachNetflowV5Record, NetflowV5Cursor } from "../../src/wire/netflow-v5-cursor.ts";
import { decodeNetflowV5, encodeNetflowV5, type NetflowV5Datagram } from "../../src/wire/netflow-v5.ts";
import { needsTestdata, SHARED_TESTDATA } from "../helpers/requirements.ts";

function load(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${SHARED_TESTDATA}netflow/${name}`));
}

function v5(bytes: Uint8Array, offset = 0, length = bytes.length - offset): NetflowV5Datagram {
  const d = decodeNetflow(bytes, offset, length);
  assert.ok(isNetflowV5(d));
  return d;
}

function rejection(bytes: Uint8Array): WireError {
  try {
    decodeNetflow(bytes);
  } catch (e) {
    assert.ok(e instanceof WireError, `not a WireError: ${String(e)}`);
    return e;
  }
  assert.fail("decoded an invalid datagram");
}

describe("NetFlow v5 capture: Juniper MX80", { skip: needsTestdata("netflow/netflow5_test_juniper_mx80.dat") }, () => {
  it("has the header and record 29 the README lists", () => {
    const bytes = load("netflow5_test_juniper_mx80.dat");
    assert.equal(bytes.length, 1416);
    const d = v5(bytes);
    assert.equal(d.header.count, 29);
    assert.equal(d.records.length, 29);
    assert.equal(d.padding, 0);
    assert.equal(d.header.flowSequence, 528678);
    assert.deepEqual([d.header.engineType, d.header.engineId], [0, 0]);
    assert.deepEqual([d.header.samplingMode, d.header.samplingInterval], [0, 1000]);
    const r = d.records[28];
    assert.equal(ipv4ToString(r.srcAddr), "66.249.92.75");
    assert.equal(ipv4ToString(r.dstAddr), "192.168.0.1");
    assert.equal(ipv4ToString(r.nextHop), "192.168.0.1");
    assert.deepEqual([r.input, r.output, r.dPkts, r.dOctets], [542, 536, 2, 104]);
    assert.deepEqual([r.srcPort, r.dstPort, r.tcpFlags, r.prot, r.tos], [37387, 80, 0x10, 6, 0]);
    assert.deepEqual([r.srcAs, r.dstAs, r.srcMask, r.dstMask], [15169, 64496, 19, 24]);
    assert.equal(r.first, r.last);
    const t = netflowRecordTimes(d.header, r);
    assert.equal(new Date(t.firstMs).toISOString(), "2016-07-21T13:52:33.936Z");
    assert.equal(t.lastMs, t.firstMs);
    // The README's 13:52:34.936Z is logstash's value, exactly one second late (see the module comment).
    assert.equal(Date.parse("2016-07-21T13:52:34.936Z") - t.firstMs, 1000);
  });

  it("re-encodes byte for byte and reads the same through the cursor", () => {
    const bytes = load("netflow5_test_juniper_mx80.dat");
    const d = v5(bytes);
    assert.deepEqual(encodeNetflowV5(d), bytes);
    const seen: number[] = [];
    forEachNetflowV5Record(bytes, 0, bytes.length, (c) => seen.push(c.srcAs));
    assert.deepEqual(
      seen,
      d.records.map((r) => r.srcAs),
    );
  });
});

describe("NetFlow v5 capture: MikroTik", { skip: needsTestdata("netflow/netflow5_test_microtik.dat") }, () => {
  it("decodes cleanly: 30 records, no padding, byte-exact re-encoding", () => {
    const bytes = load("netflow5_test_microtik.dat");
    assert.equal(bytes.length, 1464);
    const d = v5(bytes);
    assert.equal(d.records.length, 30);
    assert.equal(d.padding, 0);
    assert.deepEqual(encodeNetflowV5(d), bytes);
    for (const r of d.records) {
      const t = netflowRecordTimes(d.header, r);
      assert.ok(t.firstMs <= t.lastMs, "first after last");
      assert.ok(t.lastMs <= Date.parse("2016-07-21T13:51:58Z"), "a record ends after the export");
    }
  });
});

describe("NetFlow v5 capture: 12 datagrams end to end", { skip: needsTestdata("netflow/netflow5.dat") }, () => {
  it("splits by declared length and decodes all 12 with the listed counts", () => {
    const bytes = load("netflow5.dat");
    assert.equal(bytes.length, 1728);
    const counts: number[] = [];
    const cursor = new NetflowV5Cursor();
    let at = 0;
    while (at < bytes.length) {
      const n = netflowDatagramLength(bytes, at);
      const d = v5(bytes, at, n);
      assert.equal(d.padding, 0);
      assert.deepEqual(encodeNetflowV5(d), bytes.subarray(at, at + n));
      assert.equal(cursor.reset(bytes, at, n), d.records.length);
      counts.push(d.records.length);
      at += n;
    }
    assert.equal(at, bytes.length);
    assert.deepEqual(counts, [2, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2]);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      30,
    );
  });
});

describe("NetFlow v5 captures that must be rejected", () => {
  it("netflow5_test_invalid01.dat: count 55582 cannot fit the datagram", {
    skip: needsTestdata("netflow/netflow5_test_invalid01.dat"),
  }, () => {
    const bytes = load("netflow5_test_invalid01.dat");
    const e = rejection(bytes);
    // Checked in this order: the count is above the maximum first; the message also says it cannot fit.
    assert.equal(e.code, "ERR_NETFLOW_COUNT");
    assert.equal(e.offset, 2);
    assert.match(e.message, /count 55582 exceeds the maximum of 30 records/);
    assert.match(e.message, /would need 2667960 bytes, 1464 present/);
    assert.throws(() => new NetflowV5Cursor().reset(bytes), WireError);
    assert.ok(netflowDatagramLength(bytes) > bytes.length);
  });

  it("netflow5_test_invalid02.dat: count 163 exceeds the 30-record maximum", {
    skip: needsTestdata("netflow/netflow5_test_invalid02.dat"),
  }, () => {
    const bytes = load("netflow5_test_invalid02.dat");
    const e = rejection(bytes);
    assert.equal(e.code, "ERR_NETFLOW_COUNT");
    assert.equal(e.offset, 2);
    assert.match(e.message, /count 163 exceeds the maximum of 30 records/);
    assert.match(e.message, /would need 7848 bytes, 1464 present/);
    assert.throws(() => decodeNetflowV5(bytes), WireError);
  });
});
