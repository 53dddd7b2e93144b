/**
 * Record batches and their de-duplication ids: every field round-trips through the binary batch, bad bytes are refused
 * with ERR_SCALE_BATCH, batches are cut at `batch-records` with ids naming exporter, engine, stream, sequence and record
 * range, a record of a two-channel input is batched once, and subject tokens are reversible.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { collectorFlowFieldsOf } from "../../src/collector/receive/record-mapping.ts";
import type { CollectorFlowFields } from "../../src/wire/collector-record.ts";
import { decodeNetflow } from "../../src/wire/netflow.ts";
import { forEachBatchRecord, RecordBatchBuilder } from "../../src/scale/record-batch-codec.ts";
import { datagramIdentity, RecordBatcher } from "../../src/scale/record-batcher.ts";
import type { SpooledMessage } from "../../src/scale/spool-buffer.ts";
import { fromSubjectToken, parseRecordSubject, recordSubject, subjectToken } from "../../src/scale/subject-tokens.ts";
import { v5Datagram } from "../helpers/netflow-v5-fixture.ts";

const extreme: CollectorFlowFields = {
  sourceAddress: 0xffffffff,
  destinationAddress: 1,
  packets: 2 ** 53 - 1,
  bytes: 2 ** 40 + 3,
  startTime: 0xffffffff,
  endTime: 0,
  sourcePort: 65535,
  destinationPort: 0,
  tcpFlag: 255,
  protocol: 17,
  srcAsNumber: 0xffffffff,
  dstAsNumber: 64512,
};

describe("record batch codec", () => {
  it("round-trips every field, extremes included", () => {
    const b = new RecordBatchBuilder(4);
    const flows = collectorFlowFieldsOf(decodeNetflow(v5Datagram(3, { count: 3 })));
    for (const f of [...flows, extreme]) assert.ok(b.add(f));
    assert.equal(b.add(extreme), false, "full");
    const got: CollectorFlowFields[] = [];
    assert.equal(
      forEachBatchRecord(b.finish(), (f) => got.push({ ...f })),
      4,
    );
    assert.deepEqual(got, [...flows, extreme]);
  });

  it("refuses bytes that are not a batch", () => {
    assert.throws(() => forEachBatchRecord(new Uint8Array(5), () => undefined), { code: "ERR_SCALE_BATCH" });
    const b = new RecordBatchBuilder(2);
    b.add(extreme);
    const bytes = b.finish();
    assert.throws(() => forEachBatchRecord(bytes.subarray(0, bytes.length - 1), () => undefined), {
      code: "ERR_SCALE_BATCH",
    });
  });
});

describe("RecordBatcher", () => {
  it("cuts batches at batch-records with ids from exporter, engine, sequence and record range", () => {
    const out: SpooledMessage[] = [];
    const batcher = new RecordBatcher({
      interfaceName: "cp-6/0/0",
      inputs: { "mo-7/1/0.0": { exporter: "any", "mask-order": "default", channels: [0, 1] } },
      batchRecords: 40,
      lingerMs: 1000,
      publish: (m) => out.push(m),
    });
    for (let d = 0; d < 3; d++) {
      const bytes = v5Datagram(d);
      batcher.beginDatagram(datagramIdentity(bytes, "192.0.2.1"));
      for (const f of collectorFlowFieldsOf(decodeNetflow(bytes))) {
        for (const ch of [0, 1] as const) assert.ok(batcher.sink("mo-7/1/0.0", ch).append(f));
      }
    }
    batcher.flushAll();
    assert.deepEqual(
      out.map((m) => [m.id, m.records]),
      [
        ["192.0.2.1/0.0/v5/1795000000/0/0+40", 40],
        ["192.0.2.1/0.0/v5/1795000000/30/10+40", 40],
        ["192.0.2.1/0.0/v5/1795000000/60/20+10", 10],
      ],
    );
    assert.equal(out[0].subject, "flowlens.records.cp-6%2F0%2F0.mo-7%2F1%2F0%2E0");
    let n = 0;
    for (const m of out) n += forEachBatchRecord(m.payload, () => undefined);
    assert.equal(n, 90, "each record once although the input has two channels");
  });

  it("subject tokens are reversible and never hold . * > or spaces", () => {
    for (const name of ["cp-6/0/0", "mo-7/1/0.0", "a b*c>d", "", "ünï.code", "x%2E"]) {
      const t = subjectToken(name);
      assert.doesNotMatch(t, /[.*> ]/);
      assert.equal(fromSubjectToken(t), name);
    }
    assert.deepEqual(parseRecordSubject(recordSubject("cp-6/0/0", "mo-7/1/0.0")), {
      interfaceName: "cp-6/0/0",
      input: "mo-7/1/0.0",
    });
    assert.equal(parseRecordSubject("flowlens.paths.a.b"), undefined);
  });
});
