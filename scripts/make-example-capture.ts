/**
 * Writes examples/netflow-v5-v8.pcap, the capture `npm start` decodes: one NetFlow v5 datagram and one v8 datagram of
 * each Junos aggregation scheme (1-5), sent from a documentation-range exporter to 127.0.0.1:2055, plus one DNS query
 * that `flowlens decode` must pass over. Deterministic: run `node --import tsx scripts/make-example-capture.ts` again and
 * the file is byte for byte the same.
 */
import { writeFileSync } from "node:fs";
import { ipv4FromString as ip } from "../src/wire/ipv4-address.ts";
import { encodeNetflowV5, type NetflowV5Record } from "../src/wire/netflow-v5.ts";
import { encodeNetflowV8, type NetflowV8Datagram } from "../src/wire/netflow-v8.ts";
import { encodePcap, type PcapPacket } from "../src/wire/pcap-writer.ts";
import { encodeEthernetIpv4UdpFrame } from "../src/wire/udp-packet.ts";

const EXPORT_SECS = 1_795_000_000; // 2026-11-18T11:06:40Z
const UPTIME = 3_600_000;
const clock = { sysUptime: UPTIME, unixSecs: EXPORT_SECS, unixNsecs: 250_000_000 };

function v5(partial: Partial<NetflowV5Record>): NetflowV5Record {
  return {
    srcAddr: 0,
    dstAddr: 0,
    nextHop: ip("198.51.100.1"),
    input: 5,
    output: 3,
    dPkts: 1,
    dOctets: 64,
    first: UPTIME - 42_000,
    last: UPTIME - 1_000,
    srcPort: 0,
    dstPort: 0,
    pad1: 0,
    tcpFlags: 0,
    prot: 6,
    tos: 0,
    srcAs: 64500,
    dstAs: 64501,
    srcMask: 24,
    dstMask: 16,
    pad2: 0,
    ...partial,
  };
}

const v5Records = [
  v5({
    srcAddr: ip("10.53.127.1"),
    dstAddr: ip("10.6.255.15"),
    srcPort: 26629,
    dstPort: 179,
    dPkts: 15,
    dOctets: 600,
    tcpFlags: 0x10,
    tos: 0xc0,
  }),
  v5({
    srcAddr: ip("10.1.1.1"),
    dstAddr: ip("10.1.7.1"),
    srcPort: 4567,
    dstPort: 9000,
    prot: 17,
    dPkts: 1200,
    dOctets: 1_680_000,
  }),
  v5({
    srcAddr: ip("10.1.1.2"),
    dstAddr: ip("10.1.7.9"),
    srcPort: 0,
    dstPort: 0x0800,
    prot: 1,
    dPkts: 3,
    dOctets: 252,
  }),
  v5({
    srcAddr: ip("10.2.0.7"),
    dstAddr: ip("10.9.0.1"),
    srcPort: 51234,
    dstPort: 443,
    dPkts: 42,
    dOctets: 31_337,
    tcpFlags: 0x1b,
  }),
];

const counters = { dFlows: 12, dPkts: 340, dOctets: 210_000, first: UPTIME - 60_000, last: UPTIME - 500 };
const v8Header = (aggregation: number, seq: number) => ({
  version: 8 as const,
  count: 0,
  ...clock,
  flowSequence: seq,
  engineType: 3,
  engineId: 0,
  aggregation,
  aggVersion: 2,
  reserved: 0,
});
const v8Datagrams = [
  { header: v8Header(1, 100), records: [{ ...counters, srcAs: 7018, dstAs: 11111, input: 5, output: 3 }] },
  { header: v8Header(2, 200), records: [{ ...counters, prot: 6, pad: 0, reserved: 0, srcPort: 0, dstPort: 179 }] },
  {
    header: v8Header(3, 300),
    records: [{ ...counters, srcPrefix: ip("10.53.0.0"), srcMask: 16, pad: 0, srcAs: 7018, input: 5, reserved: 0 }],
  },
  {
    header: v8Header(4, 400),
    records: [{ ...counters, dstPrefix: ip("10.6.0.0"), dstMask: 16, pad: 0, dstAs: 11111, output: 3, reserved: 0 }],
  },
  {
    header: v8Header(5, 500),
    records: [
      {
        ...counters,
        srcPrefix: ip("10.53.0.0"),
        dstPrefix: ip("10.6.255.0"),
        srcMask: 16,
        dstMask: 24,
        reserved: 0,
        srcAs: 7018,
        dstAs: 11111,
        input: 5,
        output: 3,
      },
    ],
  },
] as unknown as NetflowV8Datagram[];

const exporter = { srcAddr: ip("192.0.2.1"), dstAddr: ip("127.0.0.1"), srcPort: 50000, dstPort: 2055 };
const payloads = [
  encodeNetflowV5({
    header: {
      version: 5,
      count: 0,
      ...clock,
      flowSequence: 118,
      engineType: 3,
      engineId: 0,
      samplingMode: 1,
      samplingInterval: 100,
    },
    records: v5Records,
    padding: 0,
  }),
  ...v8Datagrams.map((d) => encodeNetflowV8(d)),
];
const packets: PcapPacket[] = payloads.map((payload, i) => ({
  timestampNs: BigInt(EXPORT_SECS) * 1_000_000_000n + BigInt(250_000_000 + i * 1_000_000),
  data: encodeEthernetIpv4UdpFrame({ ...exporter, payload, identification: i + 1 }),
}));
// A DNS query for example.com from the same host: UDP, but not NetFlow.
const dns = Uint8Array.from([
  0x12,
  0x34,
  1,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  7,
  ...new TextEncoder().encode("example"),
  3,
  99,
  111,
  109,
  0,
  0,
  1,
  0,
  1,
]);
packets.splice(1, 0, {
  timestampNs: BigInt(EXPORT_SECS) * 1_000_000_000n + 250_500_000n,
  data: encodeEthernetIpv4UdpFrame({
    srcAddr: ip("192.0.2.1"),
    dstAddr: ip("127.0.0.53"),
    srcPort: 40000,
    dstPort: 53,
    payload: dns,
  }),
});

const out = new URL("../examples/netflow-v5-v8.pcap", import.meta.url);
writeFileSync(out, encodePcap(packets));
console.log(`wrote ${out.pathname}: ${packets.length} packets`);
