/**
 * Wireshark as the oracle: v5 datagrams and v8 datagrams of every aggregation scheme are encoded by flowlens, framed
 * as Ethernet/IPv4/UDP, written to a pcap and decoded by `tshark -T json`; every field tshark reports must equal what
 * was encoded. Two documented differences are asserted as such (see src/wire/netflow-v8-schemes.ts):
 * - scheme 9 (AS-ToS): Wireshark reads tos/pad/reserved right after the AS pair and the interfaces last, where Cisco
 *   and flowlens put the interfaces first;
 * - schemes 5, 13, 14: Wireshark reads the source mask first (the `default` order), so `caida` datagrams show the
 *   two masks swapped.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { encodeNetflowV5, NETFLOW_V5_MAX_RECORDS, type NetflowV5Datagram } from "../../src/wire/netflow-v5.ts";
import {
  encodeNetflowV8,
  NETFLOW_V8_SCHEMES,
  type NetflowV8Datagram,
  type NetflowV8MaskOrder,
  type NetflowV8SchemeLayout,
} from "../../src/wire/netflow-v8.ts";
import { encodePcap } from "../../src/wire/pcap-writer.ts";
import { encodeEthernetIpv4UdpFrame } from "../../src/wire/udp-packet.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { NETFLOW_V5_FLOW_FIELDS, u8, u16, u32 } from "./fixtures.ts";

const PORT = 2055;

type Parse = "dec" | "hex" | "ip" | "ms";
type Json = Record<string, unknown>;

/** Our field name -> tshark field and how tshark prints it. */
const TSHARK_FIELDS: Record<string, [field: string, parse: Parse]> = {
  dFlows: ["cflow.flows", "dec"],
  dPkts: ["cflow.packets", "dec"],
  dOctets: ["cflow.octets", "dec"],
  first: ["cflow.timestart", "ms"],
  last: ["cflow.timeend", "ms"],
  srcAddr: ["cflow.srcaddr", "ip"],
  dstAddr: ["cflow.dstaddr", "ip"],
  nextHop: ["cflow.nexthop", "ip"],
  srcPrefix: ["cflow.srcnet", "ip"],
  dstPrefix: ["cflow.dstnet", "ip"],
  routerSc: ["cflow.routersc", "ip"],
  srcMask: ["cflow.srcmask", "dec"],
  dstMask: ["cflow.dstmask", "dec"],
  srcAs: ["cflow.srcas", "dec"],
  dstAs: ["cflow.dstas", "dec"],
  input: ["cflow.inputint", "dec"],
  output: ["cflow.outputint", "dec"],
  srcPort: ["cflow.srcport", "dec"],
  dstPort: ["cflow.dstport", "dec"],
  prot: ["cflow.protocol", "dec"],
  tos: ["cflow.tos", "hex"],
  tcpFlags: ["cflow.tcpflags", "hex"],
  markedTos: ["cflow.marked_tos", "hex"],
  extraPkts: ["cflow.extra_packets", "hex"],
  pad: ["cflow.padding", "hex"],
  reserved: ["cflow.reserved", "hex"],
};

function parse(text: string, how: Parse): number {
  if (how === "ip") return ipv4FromString(text);
  if (how === "hex") return Number.parseInt(text.replace(/^0x|:/g, ""), 16);
  if (how === "ms") {
    const [secs, frac = ""] = text.split(".");
    return Number(secs) * 1000 + Number(frac.padEnd(3, "0").slice(0, 3));
  }
  return Number(text);
}

/** Every leaf of a tshark JSON tree, flattened (the `_tree` subtrees merged in); duplicate keys become arrays. */
function flatten(node: Json, into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith("pdu ")) continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v as Json, into);
    else into[k] = v;
  }
  return into;
}

function one(fields: Record<string, unknown>, key: string): string {
  const v = fields[key];
  assert.equal(typeof v, "string", `tshark field ${key}: ${JSON.stringify(v)}`);
  return v as string;
}

/** Where Wireshark names a field differently in one scheme: the full-flow record's reserved byte is its "padding". */
function tsharkField(scheme: number, name: string): [field: string, parse: Parse] {
  if (scheme === 8 && name === "reserved") return ["cflow.padding", "hex"];
  return TSHARK_FIELDS[name];
}

function reported(fields: Record<string, unknown>, name: string, scheme = 0): number {
  const [key, how] = tsharkField(scheme, name);
  return parse(one(fields, key), how);
}

function pdus(cflow: Json): Record<string, unknown>[] {
  return Object.keys(cflow)
    .filter((k) => k.startsWith("pdu "))
    .map((k) => flatten(cflow[k] as Json));
}

function runTshark(frames: Uint8Array[]): Json[] {
  const dir = mkdtempSync(join(tmpdir(), "flowlens-netflow-tshark-"));
  try {
    const file = join(dir, "netflow.pcap");
    const packets = frames.map((payload, i) => ({
      timestampNs: BigInt(1700000000 + i) * 1_000_000_000n,
      data: encodeEthernetIpv4UdpFrame({
        srcAddr: 0xc0000201,
        dstAddr: 0xc0000202,
        srcPort: 40000,
        dstPort: PORT,
        payload,
      }),
    }));
    writeFileSync(file, encodePcap(packets));
    const args = ["-r", file, "-d", `udp.port==${PORT},cflow`, "-T", "json", "--no-duplicate-keys", "-J", "cflow"];
    const res = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    assert.equal(res.status, 0, `tshark failed: ${res.stderr}`);
    const out = JSON.parse(res.stdout) as { _source: { layers: { cflow: Json } } }[];
    assert.equal(out.length, frames.length);
    return out.map((p) => p._source.layers.cflow);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The header fields v5 and v8 share; unixSecs kept to 31 bits and unixNsecs below a second, as tshark prints them. */
const HEADER_FIELDS = {
  sysUptime: u32,
  unixSecs: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  unixNsecs: fc.integer({ min: 0, max: 999_999_999 }),
  flowSequence: u32,
  engineType: u8,
  engineId: u8,
};

const v5Arb: fc.Arbitrary<NetflowV5Datagram> = fc
  .record({
    header: fc.record({
      version: fc.constant(5 as const),
      count: fc.constant(0),
      ...HEADER_FIELDS,
      samplingMode: fc.integer({ min: 0, max: 3 }),
      samplingInterval: fc.integer({ min: 0, max: 0x3fff }),
    }),
    records: fc.array(fc.record({ ...NETFLOW_V5_FLOW_FIELDS, pad1: u8, pad2: u16 }), {
      minLength: 1,
      maxLength: NETFLOW_V5_MAX_RECORDS,
    }),
  })
  .map(({ header, records }) => ({ header: { ...header, count: records.length }, records, padding: 0 }));

function v8Arb(layout: NetflowV8SchemeLayout): fc.Arbitrary<NetflowV8Datagram> {
  const shape: Record<string, fc.Arbitrary<number>> = {};
  for (const f of layout.fields) shape[f.name] = fc.integer({ min: 0, max: 2 ** (8 * f.size) - 1 });
  return fc
    .record({
      ...HEADER_FIELDS,
      records: fc.array(fc.record(shape), { minLength: 1, maxLength: layout.maxRecords }),
    })
    .map(({ records, ...h }) => ({
      header: {
        version: 8 as const,
        count: records.length,
        aggregation: layout.scheme,
        aggVersion: 2,
        reserved: 0,
        ...h,
      },
      records: records as unknown as NetflowV8Datagram["records"],
      padding: 0,
    }));
}

function checkCommonHeader(cflow: Json, h: NetflowV5Datagram["header"] | NetflowV8Datagram["header"]): void {
  const f = flatten(cflow);
  assert.equal(Number(one(f, "cflow.version")), h.version);
  assert.equal(Number(one(f, "cflow.count")), h.count);
  assert.equal(parse(one(f, "cflow.sysuptime"), "ms"), h.sysUptime);
  assert.equal(Number(one(f, "cflow.unix_secs")), h.unixSecs);
  assert.equal(Number(one(f, "cflow.unix_nsecs")), h.unixNsecs);
  assert.equal(Number(one(f, "cflow.sequence")), h.flowSequence);
  assert.equal(Number(one(f, "cflow.engine_type")), h.engineType);
  assert.equal(Number(one(f, "cflow.engine_id")), h.engineId);
}

/** What Wireshark's dissector shows for a field of ours, where its layout differs from the one flowlens follows. */
function wiresharkView(scheme: number, order: NetflowV8MaskOrder, rec: Record<string, number>, name: string): number {
  if (scheme === 9) {
    // Wireshark: srcAs dstAs | tos pad reserved(2) | input output; flowlens: srcAs dstAs | input output | tos pad reserved.
    const swapped: Record<string, number> = {
      tos: rec.input >>> 8,
      pad: rec.input & 0xff,
      reserved: rec.output,
      input: (rec.tos << 8) | rec.pad,
      output: rec.reserved,
    };
    if (name in swapped) return swapped[name];
  }
  if (order === "caida" && name === "srcMask") return rec.dstMask;
  if (order === "caida" && name === "dstMask") return rec.srcMask;
  return rec[name];
}

describe("NetFlow codecs against Wireshark (tshark)", { skip: needsProgram("tshark", "tshark") }, () => {
  const v5 = fc.sample(v5Arb, { seed: 5, numRuns: 4 });
  const v8: { layout: NetflowV8SchemeLayout; order: NetflowV8MaskOrder; d: NetflowV8Datagram }[] = [];
  for (const layout of NETFLOW_V8_SCHEMES) {
    const orders: NetflowV8MaskOrder[] = layout.hasMaskOrder ? ["default", "caida"] : ["default"];
    for (const order of orders) {
      for (const d of fc.sample(v8Arb(layout), { seed: layout.scheme, numRuns: 2 })) v8.push({ layout, order, d });
    }
  }
  let decoded: Json[] = [];

  before(() => {
    const frames = [
      ...v5.map((d) => encodeNetflowV5(d)),
      ...v8.map(({ d, order }) => encodeNetflowV8(d, undefined, 0, { maskOrder: order })),
    ];
    decoded = runTshark(frames);
  });
  after(() => {
    decoded = [];
  });

  it("reports every v5 header and record field as encoded", () => {
    v5.forEach((d, i) => {
      const cflow = decoded[i];
      checkCommonHeader(cflow, d.header);
      const f = flatten(cflow);
      assert.equal(Number(one(f, "cflow.samplingmode")), d.header.samplingMode);
      assert.equal(Number(one(f, "cflow.samplerate")), d.header.samplingInterval);
      const records = pdus(cflow);
      assert.equal(records.length, d.records.length);
      records.forEach((got, j) => {
        const want = d.records[j] as unknown as Record<string, number>;
        for (const name of Object.keys(want)) {
          if (name === "pad1" || name === "pad2") continue;
          assert.equal(reported(got, name), want[name], `v5 datagram ${i} record ${j} ${name}`);
        }
        // Wireshark shows both pad bytes as cflow.padding: one byte, then two.
        const padding = got["cflow.padding"] as string[];
        assert.deepEqual(
          padding.map((p) => parse(p, "hex")),
          [want.pad1, want.pad2],
        );
      });
    });
  });

  it("reports every v8 header and record field as encoded, for all 14 schemes", () => {
    const seenSchemes = new Set<number>();
    v8.forEach(({ layout, order, d }, k) => {
      const cflow = decoded[v5.length + k];
      checkCommonHeader(cflow, d.header);
      const header = flatten(Object.fromEntries(Object.entries(cflow).filter(([key]) => !key.startsWith("pdu "))));
      assert.equal(Number(one(header, "cflow.aggmethod")), layout.scheme);
      assert.equal(Number(one(header, "cflow.aggversion")), d.header.aggVersion);
      assert.equal(parse(one(header, "cflow.reserved"), "hex"), d.header.reserved);
      const records = pdus(cflow);
      assert.equal(records.length, d.records.length, `scheme ${layout.scheme}: record count`);
      records.forEach((got, j) => {
        const want = d.records[j] as unknown as Record<string, number>;
        const present = new Set(Object.keys(got));
        for (const field of layout.fields) {
          const [key] = tsharkField(layout.scheme, field.name);
          assert.ok(present.has(key), `scheme ${layout.scheme}: tshark does not report ${key} (${field.name})`);
          const expected = wiresharkView(layout.scheme, order, want, field.name);
          assert.equal(
            reported(got, field.name, layout.scheme),
            expected,
            `scheme ${layout.scheme} ${order} record ${j} ${field.name}`,
          );
        }
      });
      seenSchemes.add(layout.scheme);
    });
    assert.equal(seenSchemes.size, 14);
  });

  it("shows the documented scheme 9 difference on a hand-picked record", () => {
    const k = v8.findIndex(({ layout }) => layout.scheme === 9);
    const rec = v8[k].d.records[0] as unknown as Record<string, number>;
    const got = pdus(decoded[v5.length + k])[0];
    assert.equal(reported(got, "srcAs"), rec.srcAs);
    assert.equal(reported(got, "input"), (rec.tos << 8) | rec.pad);
    assert.equal(reported(got, "tos"), rec.input >>> 8);
  });
});
