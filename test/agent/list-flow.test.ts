/**
 * list/flow (compute-agent-api.txt, Table 4 and the list/flow examples): grouping by SIP, DIP and PROTO, PORTS tuples of
 * 3 values `[timestamp, dport, sport]` or 11 values for overlay flows, `active=True` keeping flows of the last 60 s; and
 * the host source reading `/proc/net/{tcp,tcp6,udp,udp6}`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { listFlows, type SniffedFlow } from "../../src/agent/flow-source.ts";
import {
  isReportedFlow,
  parseProcNetTable,
  ProcNetFlowSource,
  procAddressToIpv4,
} from "../../src/agent/proc-net-flows.ts";
import { ManualClock, testAgent } from "./fakes.ts";
import { SPEC_OVERLAY_PORT_TAIL } from "./spec-examples.ts";

const T0 = 1_442_515_268_272;
const flow = (sport: number, dport: number, ageMs: number, seenAgoMs: number): SniffedFlow => ({
  sip: "10.1.1.1",
  dip: "10.1.7.1",
  proto: "tcp",
  sport,
  dport,
  firstSeenMs: T0 - ageMs,
  lastSeenMs: T0 - seenAgoMs,
});

describe("list/flow grouping", () => {
  it("groups by SIP, DIP, PROTO with [timestamp, dport, sport] tuples in time order", async () => {
    const t = testAgent();
    try {
      t.flows.flowList = [flow(59011, 9000, 1000, 0), flow(46047, 22, 5000, 120_000), flow(59010, 9000, 900, 0)];
      t.flows.flowList.push({ ...flow(5353, 53, 10, 0), proto: "udp" });
      const all = (await t.get("/list/flow")).json();
      assert.deepEqual(all, {
        FLOWS: [
          {
            SIP: "10.1.1.1",
            DIP: "10.1.7.1",
            PROTO: "TCP",
            PORTS: [
              [(T0 - 5000) / 1000, 22, 46047],
              [(T0 - 1000) / 1000, 9000, 59011],
              [(T0 - 900) / 1000, 9000, 59010],
            ],
          },
          { SIP: "10.1.1.1", DIP: "10.1.7.1", PROTO: "UDP", PORTS: [[(T0 - 10) / 1000, 53, 5353]] },
        ],
      });
    } finally {
      await t.agent.close();
    }
  });

  it("active=True keeps the flows seen in the last 60 seconds", () => {
    const groups = listFlows([flow(1, 2, 0, 60_000), flow(3, 4, 0, 60_001)], true, T0);
    assert.deepEqual(groups[0]!.PORTS, [[T0 / 1000, 2, 1]]);
    assert.equal(listFlows([flow(1, 2, 0, 600_000)], false, T0).length, 1);
  });

  it("overlay flows have 11-value tuples in Table 4's order", () => {
    const overlay: SniffedFlow = {
      sip: "10.10.11.11",
      dip: "192.168.5.11",
      proto: "udp",
      sport: 53812,
      dport: 4789,
      firstSeenMs: 1_442_623_012_239,
      lastSeenMs: 1_442_623_012_239,
      overlay: {
        vnid: 200,
        vmSmac: "52:54:00:b8:9b:2e",
        vmDmac: "52:54:00:6e:cc:dc",
        vmSip: "10.0.0.2",
        vmDip: "10.0.0.3",
        vmProto: "udp",
        vmSport: 41504,
        vmDport: 9000,
      },
    };
    assert.deepEqual(listFlows([overlay], true, 1_442_623_012_239), [
      {
        SIP: "10.10.11.11",
        DIP: "192.168.5.11",
        PROTO: "UDP",
        PORTS: [[1_442_623_012.239, ...SPEC_OVERLAY_PORT_TAIL]],
      },
    ]);
  });
});

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0101010A:11D7 0107010A:2328 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0 20 4 30 10 -1
   2: 0101010A:B3DF 0107010A:0016 06 00000000:00000000 03:00000D2E 00000000     0        0 0 3 0
   3: 0100007F:A000 0100007F:0CEA 01 00000000:00000000 00:00000000 00000000     0        0 3 1
garbage line
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue
   0: 0000000000000000FFFF00000101010A:1F90 0000000000000000FFFF00000207010A:C350 01 00000000:00000000
   1: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:C351 01 00000000:00000000
   2: 000080FE00000000FF005452B89B2E00:1F90 000080FE00000000FF0054526ECCDC00:C352 01 00000000:00000000
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  10: 0101010A:D596 0107010A:2328 01 00000000:00000000 00:00000000 00000000     0        0 5 2 0 0
  11: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6 2 0 0
`;

describe("host flows from /proc/net", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("decodes addresses in host byte order, IPv4-mapped IPv6 included", () => {
    assert.equal(procAddressToIpv4("0101010A", true), "10.1.1.1");
    assert.equal(procAddressToIpv4("0A010101", false), "10.1.1.1");
    assert.equal(procAddressToIpv4("0000000000000000FFFF00000101010A", true), "10.1.1.1");
    assert.equal(procAddressToIpv4("00000000000000000000000001000000", true), null, "::1 is not IPv4");
  });

  it("parses the tables and keeps connected, non-loopback sockets", () => {
    const sockets = parseProcNetTable(TCP, "tcp", true);
    assert.equal(sockets.length, 4);
    assert.deepEqual(
      sockets.filter(isReportedFlow).map((s) => [s.localAddress, s.localPort, s.remoteAddress, s.remotePort, s.state]),
      [
        ["10.1.1.1", 4567, "10.1.7.1", 9000, "01"],
        ["10.1.1.1", 46047, "10.1.7.1", 22, "06"],
      ],
    );
    assert.equal(parseProcNetTable(TCP6, "tcp", true).length, 1);
    assert.equal(parseProcNetTable(UDP, "udp", true).filter(isReportedFlow).length, 1);
  });

  it("ProcNetFlowSource: first and last seen across sniffs, retention, missing tables tolerated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-proc-"));
    dirs.push(dir);
    writeFileSync(join(dir, "tcp"), TCP);
    writeFileSync(join(dir, "udp"), UDP);
    const clock = new ManualClock(T0);
    const source = new ProcNetFlowSource({ clock, root: dir, retentionMs: 120_000 });
    const first = await source.flows();
    assert.equal(first.length, 3);
    await clock.advance(30_000);
    writeFileSync(join(dir, "tcp"), TCP.split("\n").slice(0, 3).join("\n"));
    const second = await source.flows();
    const byPort = new Map(second.map((f) => [f.sport, f]));
    assert.equal(byPort.get(4567)!.firstSeenMs, T0);
    assert.equal(byPort.get(4567)!.lastSeenMs, T0 + 30_000);
    assert.equal(byPort.get(46047)!.lastSeenMs, T0, "gone but still listed");
    await clock.advance(100_000);
    assert.equal(
      (await source.flows()).some((f) => f.sport === 46047),
      false,
      "forgotten after the retention",
    );
    const empty = new ProcNetFlowSource({ clock, root: join(dir, "nowhere") });
    await assert.rejects(empty.flows(), /cannot read the socket tables/);
  });

  it("reads this host's real tables without root", async () => {
    const source = new ProcNetFlowSource({ clock: new ManualClock() });
    const flows = await source.flows();
    for (const f of flows) assert.ok(!f.sip.startsWith("127.") && !f.dip.startsWith("127."));
  });
});

describe("conntrack flows", () => {
  it("reads the original direction of TCP and UDP IPv4 entries and skips the rest", async () => {
    const { parseConntrackTable } = await import("../../src/agent/conntrack-flows.ts");
    const text = [
      "ipv4     2 tcp      6 431999 ESTABLISHED src=10.1.1.1 dst=10.1.7.1 sport=4567 dport=9000 src=10.1.7.1 dst=10.1.1.1 sport=9000 dport=4567 [ASSURED] mark=0 zone=0 use=2",
      "ipv4     2 udp      17 29 src=192.168.5.11 dst=10.10.11.11 sport=33434 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.10.11.11 dst=192.168.5.11 sport=53 dport=33434 packets=0 bytes=0 mark=0 use=1",
      "ipv4     2 icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7 mark=0 use=1",
      "ipv6     10 tcp      6 100 ESTABLISHED src=2001:db8::1 dst=2001:db8::2 sport=1 dport=2 src=2001:db8::2 dst=2001:db8::1 sport=2 dport=1 use=1",
      "garbage",
    ].join("\n");
    assert.deepEqual(parseConntrackTable(text), [
      {
        proto: "tcp",
        localAddress: "10.1.1.1",
        localPort: 4567,
        remoteAddress: "10.1.7.1",
        remotePort: 9000,
        state: "01",
      },
      {
        proto: "udp",
        localAddress: "192.168.5.11",
        localPort: 33434,
        remoteAddress: "10.10.11.11",
        remotePort: 53,
        state: "01",
      },
    ]);
  });
});
