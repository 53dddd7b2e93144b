/**
 * Version 8 aggregation against tshark: one capture is exported with all five Junos aggregation schemes and a
 * route-record table; tshark's cflow dissector decodes the datagrams, and for every scheme the aggregates, grouped by
 * the scheme's key, must sum (flows, packets, bytes) to the totals computed from tshark's own packet dump of the
 * capture with a reference longest-prefix match over the same table (not flowlens code). Also run with
 * `autonomous-system-type peer`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ipv4FromString, ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { FixtureRoutes, route } from "../exporter/route-fixture.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";
import { datagramsPcap, runFlowlens, type TsharkFlow, tsharkCflow, tsharkFlows, udpSink } from "./exporter-oracles.ts";

const skip = needsProgram("tshark");

/** The route-record table, as text and as the reference lookup (origin AS = last of the path, peer AS = first). */
const ROUTES: [cidr: string, nextHop: string, peer: number, origin: number][] = [
  ["10.1.0.0/16", "192.0.2.1", 64601, 65001],
  ["10.2.0.0/16", "192.0.2.2", 64602, 65002],
  ["10.3.0.0/16", "192.0.2.3", 64603, 65003],
  ["10.3.0.0/25", "192.0.2.4", 64604, 65004],
  ["10.4.0.0/15", "192.0.2.5", 64605, 65005],
  ["10.5.0.0/24", "192.0.2.6", 64606, 4200000001],
  // 10.6.0.0/16 has no route: mask 0, prefix 0, AS 0.
];
const TABLE_TEXT = ROUTES.map(([cidr, nh, peer, origin]) => `${cidr} ${nh} ${peer} ${origin}`).join("\n");
const LOOKUP = new FixtureRoutes(ROUTES.map(([cidr, nh, peer, origin]) => route(cidr, nh, origin, peer)));

const as16 = (as: number) => (as > 0xffff ? 23456 : as);

function routed(addr: string, asType: "origin" | "peer") {
  const a = ipv4FromString(addr);
  const r = LOOKUP.lookup(a);
  if (r === undefined) return { prefix: "0.0.0.0", mask: 0, as: 0 };
  const mask = r.prefixLength === 0 ? 0 : (0xffffffff << (32 - r.prefixLength)) >>> 0;
  return {
    prefix: ipv4ToString((a & mask) >>> 0),
    mask: r.prefixLength,
    as: as16(asType === "peer" ? r.peerAs : r.originAs),
  };
}

/** The key of a flow under each scheme, from tshark's view of the capture (interfaces are 0 in a one-shot export). */
function referenceKey(scheme: number, f: TsharkFlow, asType: "origin" | "peer"): string {
  const s = routed(f.src, asType);
  const d = routed(f.dst, asType);
  switch (scheme) {
    case 1:
      return `as ${s.as} ${d.as} if 0 0`;
    case 2:
      return `pp ${f.prot} ${f.srcPort} ${f.dstPort}`;
    case 3:
      return `sp ${s.prefix}/${s.mask} as ${s.as} if 0`;
    case 4:
      return `dp ${d.prefix}/${d.mask} as ${d.as} if 0`;
    default:
      return `p ${s.prefix}/${s.mask} ${d.prefix}/${d.mask} as ${s.as} ${d.as} if 0 0`;
  }
}

/** The same key from tshark's decode of one aggregate record. */
function decodedKey(scheme: number, r: Record<string, string>): string {
  switch (scheme) {
    case 1:
      return `as ${r["cflow.srcas"]} ${r["cflow.dstas"]} if ${r["cflow.inputint"]} ${r["cflow.outputint"]}`;
    case 2:
      return `pp ${r["cflow.protocol"]} ${r["cflow.srcport"]} ${r["cflow.dstport"]}`;
    case 3:
      return `sp ${r["cflow.srcnet"]}/${r["cflow.srcmask"]} as ${r["cflow.srcas"]} if ${r["cflow.inputint"]}`;
    case 4:
      return `dp ${r["cflow.dstnet"]}/${r["cflow.dstmask"]} as ${r["cflow.dstas"]} if ${r["cflow.outputint"]}`;
    default:
      return `p ${r["cflow.srcnet"]}/${r["cflow.srcmask"]} ${r["cflow.dstnet"]}/${r["cflow.dstmask"]} as ${r["cflow.srcas"]} ${r["cflow.dstas"]} if ${r["cflow.inputint"]} ${r["cflow.outputint"]}`;
  }
}

type Totals = Map<string, { flows: number; packets: number; bytes: number }>;

function add(t: Totals, key: string, flows: number, packets: number, bytes: number): void {
  const x = t.get(key) ?? { flows: 0, packets: 0, bytes: 0 };
  x.flows += flows;
  x.packets += packets;
  x.bytes += bytes;
  t.set(key, x);
}

const sorted = (t: Totals) => [...t.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

describe("exporter interop: v8 aggregation decoded by tshark", { skip }, () => {
  let dir: string;
  let pcap: string;
  let flows: Map<string, TsharkFlow>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-exporter-v8-"));
    pcap = join(dir, "traffic.pcap");
    writeFileSync(pcap, trafficCapture({ tcp: 50, udp: 40, icmp: 12, gapMs: 40, seed: 3 }));
    writeFileSync(join(dir, "routes.txt"), `${TABLE_TEXT}\n`);
    flows = tsharkFlows(pcap);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const asType of ["origin", "peer"] as const) {
    it(`every scheme sums to the capture's totals (autonomous-system-type ${asType})`, async () => {
      const sink = await udpSink();
      let datagrams: Uint8Array[];
      try {
        const run = await runFlowlens([
          "export",
          ...["--pcap", pcap, "--to", `127.0.0.1:${sink.port}`, "--period", "10s", "--as-type", asType],
          ...["--route-record", join(dir, "routes.txt"), "--engine-type", "3", "--engine-id", "7"],
          ...["--aggregation", "autonomous-system,protocol-port,source-prefix,destination-prefix"],
          ...["--aggregation", "source-destination-prefix"],
        ]);
        assert.equal(run.code, 0, run.stderr);
        datagrams = sink.datagrams;
        const expectedDatagrams = run.stdout.match(/in (\d+) datagrams/g)?.map((m) => Number(m.split(" ")[1]));
        const sent = expectedDatagrams?.reduce((a, b) => a + b, 0) ?? 0;
        for (let i = 0; i < 100 && datagrams.length < sent; i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal(datagrams.length, sent);
      } finally {
        await sink.close();
      }
      const file = join(dir, `v8-${asType}.pcap`);
      datagramsPcap(file, datagrams, 2055);
      const decoded = tsharkCflow(file, 2055);
      for (const scheme of [1, 2, 3, 4, 5]) {
        const expected: Totals = new Map();
        for (const f of flows.values()) add(expected, referenceKey(scheme, f, asType), 1, f.packets, f.bytes);
        const got: Totals = new Map();
        const packets = decoded.filter((d) => d.header["cflow.aggmethod"] === String(scheme));
        assert.ok(packets.length > 0, `no datagram of scheme ${scheme}`);
        for (const d of packets) {
          assert.equal(d.header["cflow.version"], "8");
          assert.equal(d.header["cflow.engine_type"], "3");
          assert.equal(d.header["cflow.engine_id"], "7");
          for (const r of d.records) {
            add(
              got,
              decodedKey(scheme, r),
              Number(r["cflow.flows"]),
              Number(r["cflow.packets"]),
              Number(r["cflow.octets"]),
            );
          }
        }
        assert.deepEqual(sorted(got), sorted(expected), `scheme ${scheme}`);
      }
    });
  }
});
