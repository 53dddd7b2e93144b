/**
 * Oracle test: Wireshark's tshark decodes packets that flowlens encodes (Ethernet with VLAN tags, IPv4 with options and
 * fragments, UDP, TCP with options, ICMP Time Exceeded, IPv6 extension headers, VXLAN, GRE, ERSPAN II and III) and must
 * report every field as flowlens's own decoders do, with every checksum good.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeErspan, type ErspanHeader, erspanEncodingLength } from "../../src/wire/erspan.ts";
import { decodeEthernet, ETHERTYPE_ERSPAN_II, ETHERTYPE_ERSPAN_III, macToString } from "../../src/wire/ethernet.ts";
import { decodeGre, greEncodingLength } from "../../src/wire/gre.ts";
import { decodeIcmp } from "../../src/wire/icmp.ts";
import { decodeIpv4 } from "../../src/wire/ipv4.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { decodeIpv6, ipv6ToString } from "../../src/wire/ipv6.ts";
import { encodePcap } from "../../src/wire/pcap-writer.ts";
import { decodeTcp } from "../../src/wire/tcp.ts";
import { decodeUdp } from "../../src/wire/udp.ts";
import { decodeVxlan } from "../../src/wire/vxlan.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { concat } from "./fixtures.ts";
import { buildFrames } from "./header-frames.ts";

type Fields = Map<string, string[]>;
type Layers = Record<string, unknown>;

/** Every `proto.field` value under a tshark JSON node, in document order (subtrees and option lists flattened). */
function fieldsOf(node: unknown, into: Fields = new Map()): Fields {
  if (Array.isArray(node)) {
    for (const item of node) fieldsOf(item, into);
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === "string") into.set(key, [...(into.get(key) ?? []), value]);
      else if (Array.isArray(value) && value.every((v) => typeof v === "string"))
        into.set(key, [...(into.get(key) ?? []), ...value]);
      else fieldsOf(value, into);
    }
  }
  return into;
}

/** The `index`-th instance of a protocol layer (tshark merges repeated layers into an array). */
function layer(layers: Layers, name: string, index = 0): Fields {
  const value = layers[name];
  assert.ok(value !== undefined, `tshark shows no ${name} layer`);
  const list = Array.isArray(value) ? value : [value];
  assert.ok(index < list.length, `tshark shows no ${name} layer #${index}`);
  return fieldsOf(list[index]);
}

function str(fields: Fields, key: string): string {
  const values = fields.get(key);
  assert.ok(values !== undefined && values.length > 0, `tshark reports no ${key}`);
  return values[0];
}

/** A numeric field (decimal, or hex with 0x). */
function num(fields: Fields, key: string): number {
  const n = Number(str(fields, key));
  assert.ok(!Number.isNaN(n), `${key} is not a number: ${str(fields, key)}`);
  return n;
}

const bit = (b: boolean) => (b ? 1 : 0);
const colonHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
/** tshark's checksum status: 1 is "Good". */
const GOOD = 1;

function expectEthernet(f: Fields, frame: Uint8Array, offset = 0): ReturnType<typeof decodeEthernet> {
  const eth = decodeEthernet(frame, offset);
  assert.equal(str(f, "eth.dst"), macToString(eth.dstMac));
  assert.equal(str(f, "eth.src"), macToString(eth.srcMac));
  assert.equal(num(f, "eth.type"), eth.vlanTags.length > 0 ? eth.vlanTags[0].tpid : eth.etherType);
  return eth;
}

function expectIpv4(f: Fields, bytes: Uint8Array, offset: number): ReturnType<typeof decodeIpv4> {
  const ip = decodeIpv4(bytes, offset);
  assert.equal(ip.checksumValid, true);
  assert.equal(num(f, "ip.checksum.status"), GOOD, "tshark finds the IPv4 header checksum good");
  assert.equal(num(f, "ip.version"), ip.version);
  assert.equal(num(f, "ip.hdr_len"), ip.headerLength);
  assert.equal(num(f, "ip.dsfield"), ip.tos);
  assert.equal(num(f, "ip.len"), ip.totalLength);
  assert.equal(num(f, "ip.id"), ip.identification);
  assert.equal(num(f, "ip.flags.rb"), bit(ip.reservedFlag));
  assert.equal(num(f, "ip.flags.df"), bit(ip.dontFragment));
  assert.equal(num(f, "ip.flags.mf"), bit(ip.moreFragments));
  assert.equal(num(f, "ip.frag_offset"), ip.fragmentOffset / 8); // this tshark shows 8-byte units
  assert.equal(num(f, "ip.ttl"), ip.ttl);
  assert.equal(num(f, "ip.proto"), ip.protocol);
  assert.equal(num(f, "ip.checksum"), ip.headerChecksum);
  assert.equal(str(f, "ip.src"), ipv4ToString(ip.srcAddr));
  assert.equal(str(f, "ip.dst"), ipv4ToString(ip.dstAddr));
  return ip;
}

function expectUdp(f: Fields, bytes: Uint8Array, offset: number): void {
  const udp = decodeUdp(bytes, offset);
  assert.equal(num(f, "udp.checksum.status"), GOOD, "tshark finds the UDP checksum good");
  assert.equal(num(f, "udp.srcport"), udp.srcPort);
  assert.equal(num(f, "udp.dstport"), udp.dstPort);
  assert.equal(num(f, "udp.length"), udp.length);
  assert.equal(num(f, "udp.checksum"), udp.checksum);
}

/** Compares the inner Ethernet/IPv4/UDP frame (layer instance 1 of each). */
function expectInnerFrame(layers: Layers, frame: Uint8Array, offset: number): void {
  expectEthernet(layer(layers, "eth", 1), frame, offset);
  expectIpv4(layer(layers, "ip", 1), frame, offset + 14);
  const udp = layers.udp;
  expectUdp(fieldsOf(Array.isArray(udp) ? udp[udp.length - 1] : udp), frame, offset + 34);
}

function expectTcp(f: Fields, bytes: Uint8Array, offset: number): ReturnType<typeof decodeTcp> {
  const tcp = decodeTcp(bytes, offset);
  assert.equal(num(f, "tcp.checksum.status"), GOOD, "tshark finds the TCP checksum good");
  assert.equal(num(f, "tcp.srcport"), tcp.srcPort);
  assert.equal(num(f, "tcp.dstport"), tcp.dstPort);
  assert.equal(num(f, "tcp.seq_raw"), tcp.sequenceNumber);
  assert.equal(num(f, "tcp.ack_raw"), tcp.acknowledgmentNumber);
  assert.equal(num(f, "tcp.hdr_len"), tcp.headerLength);
  assert.equal(num(f, "tcp.flags"), (tcp.reserved << 8) | tcp.flags);
  assert.equal(num(f, "tcp.window_size_value"), tcp.window);
  assert.equal(num(f, "tcp.checksum"), tcp.checksum);
  assert.equal(num(f, "tcp.urgent_pointer"), tcp.urgentPointer);
  const kinds = (f.get("tcp.option_kind") ?? []).map(Number);
  const ours = tcp.options.map(
    (o) => ({ eol: 0, nop: 1, mss: 2, windowScale: 3, sackPermitted: 4, sack: 5, timestamps: 8, unknown: -1 })[o.type],
  );
  assert.deepEqual(kinds, ours);
  for (const o of tcp.options) {
    if (o.type === "mss") assert.equal(num(f, "tcp.options.mss_val"), o.mss);
    if (o.type === "windowScale") assert.equal(num(f, "tcp.options.wscale.shift"), o.shiftCount);
    if (o.type === "timestamps") {
      assert.equal(num(f, "tcp.options.timestamp.tsval"), o.tsVal);
      assert.equal(num(f, "tcp.options.timestamp.tsecr"), o.tsEcr);
    }
    if (o.type === "sack") {
      assert.deepEqual(
        (f.get("tcp.options.sack_le") ?? []).map(Number),
        o.blocks.map((b) => b.leftEdge),
      );
      assert.deepEqual(
        (f.get("tcp.options.sack_re") ?? []).map(Number),
        o.blocks.map((b) => b.rightEdge),
      );
    }
  }
  return tcp;
}

function expectGre(f: Fields, bytes: Uint8Array, offset: number, length: number): ReturnType<typeof decodeGre> {
  const gre = decodeGre(bytes, offset, length);
  assert.equal(num(f, "gre.flags.checksum"), bit(gre.checksumPresent));
  assert.equal(num(f, "gre.flags.key"), bit(gre.keyPresent));
  assert.equal(num(f, "gre.flags.sequence_number"), bit(gre.sequencePresent));
  assert.equal(num(f, "gre.flags.version"), gre.version);
  assert.equal(num(f, "gre.proto"), gre.protocolType);
  if (gre.sequenceNumber !== undefined) assert.equal(num(f, "gre.sequence_number"), gre.sequenceNumber);
  if (gre.key !== undefined) assert.equal(num(f, "gre.key"), gre.key);
  if (gre.checksum !== undefined) {
    assert.equal(gre.checksumValid, true);
    assert.equal(num(f, "gre.checksum"), gre.checksum);
    assert.equal(num(f, "gre.checksum.status"), GOOD, "tshark finds the GRE checksum good");
  }
  return gre;
}

function expectErspan(f: Fields, bytes: Uint8Array, offset: number): ErspanHeader {
  const h = decodeErspan(bytes, offset);
  assert.equal(num(f, "erspan.version"), h.version);
  assert.equal(num(f, "erspan.vlan"), h.vlan);
  assert.equal(num(f, "erspan.cos"), h.cos);
  assert.equal(num(f, "erspan.truncated"), bit(h.truncated));
  assert.equal(num(f, "erspan.spanid"), h.sessionId);
  if (h.version === 1) {
    assert.equal(num(f, "erspan.encap"), h.encapType);
    assert.equal(num(f, "erspan.reserved"), h.reserved);
    assert.equal(num(f, "erspan.index"), h.index);
    return h;
  }
  assert.equal(num(f, "erspan.bso"), h.bso);
  assert.equal(num(f, "erspan.timestamp"), h.timestamp);
  assert.equal(num(f, "erspan.sgt"), h.sgt);
  assert.equal(num(f, "erspan.p"), bit(h.p));
  assert.equal(num(f, "erspan.ft"), h.ft);
  assert.equal(num(f, "erspan.hw"), h.hwId);
  assert.equal(num(f, "erspan.direction"), bit(h.d));
  assert.equal(num(f, "erspan.gra"), h.gra);
  assert.equal(num(f, "erspan.o"), bit(h.platform !== undefined));
  if (h.platform !== undefined) {
    assert.equal(num(f, "erspan.platid"), h.platform.platformId);
    // Platform 3: 12 reserved bits, a 14-bit port index, then the upper 32 bits of the timestamp.
    assert.equal(num(f, "erspan.pid3.rsvd1"), h.platform.infoHigh >>> 14);
    assert.equal(num(f, "erspan.pid3.port_index"), h.platform.infoHigh & 0x3fff);
    assert.equal(num(f, "erspan.pid3.timestamp"), h.platform.infoLow);
  }
  return h;
}

const TSHARK_ARGS = [
  "-T",
  "json",
  "--no-duplicate-keys",
  "-o",
  "ip.check_checksum:TRUE",
  "-o",
  "udp.check_checksum:TRUE",
  "-o",
  "tcp.check_checksum:TRUE",
  "-o",
  "tcp.relative_sequence_numbers:FALSE",
  "-o",
  "tcp.analyze_sequence_numbers:FALSE",
];

describe("packet headers decoded by tshark", { skip: needsProgram("tshark") }, () => {
  let dir = "";
  let frames: Uint8Array[] = [];
  let decoded: Layers[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-headers-"));
    frames = buildFrames();
    const file = join(dir, "headers.pcap");
    writeFileSync(file, encodePcap(frames.map((data, i) => ({ data, timestampNs: BigInt(i + 1) * 1_000_000n }))));
    const run = spawnSync("tshark", ["-r", file, ...TSHARK_ARGS], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    assert.equal(run.status, 0, run.stderr);
    const packets = JSON.parse(run.stdout) as { _source: { layers: Layers } }[];
    decoded = packets.map((p) => p._source.layers);
  });

  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("reads every frame, none malformed and no expert warning or error", () => {
    assert.equal(decoded.length, frames.length);
    decoded.forEach((layers, i) => {
      const all = fieldsOf(layers);
      assert.ok(!all.has("_ws.malformed") && !("_ws.malformed" in layers), `frame ${i + 1} malformed`);
      // Expert severities: chat 0x200000, note 0x400000, warn 0x600000, error 0x800000.
      const severities = (all.get("_ws.expert.severity") ?? []).map(Number);
      assert.ok(
        severities.every((s) => s < 0x600000),
        `frame ${i + 1}: ${all.get("_ws.expert.message")}`,
      );
    });
  });

  it("802.1Q tag, IPv4 options (NOP, Router Alert, EOL) and UDP", () => {
    const layers = decoded[0];
    const frame = frames[0];
    const eth = expectEthernet(layer(layers, "eth"), frame);
    const vlan = layer(layers, "vlan");
    assert.equal(num(vlan, "vlan.id"), eth.vlanIds[0]);
    assert.equal(num(vlan, "vlan.priority"), eth.vlanTags[0].pcp);
    assert.equal(num(vlan, "vlan.dei"), bit(eth.vlanTags[0].dei));
    assert.equal(num(vlan, "vlan.etype"), eth.etherType);
    const ipFields = layer(layers, "ip");
    const ip = expectIpv4(ipFields, frame, eth.headerLength);
    assert.deepEqual(ip.options, Uint8Array.of(1, 0x94, 4, 0, 0, 0, 0, 0));
    assert.equal(str(ipFields, "ip.options.nop"), "01");
    assert.equal(str(ipFields, "ip.options.routeralert"), colonHex(ip.options.subarray(1, 5)));
    assert.equal(str(ipFields, "ip.options.eol"), "00");
    expectUdp(layer(layers, "udp"), frame, eth.headerLength + ip.headerLength);
  });

  it("IPv4 fragments: fields of both, and the reassembled UDP checksum good", () => {
    const first = expectIpv4(layer(decoded[1], "ip"), frames[1], 14);
    const second = expectIpv4(layer(decoded[2], "ip"), frames[2], 14);
    assert.deepEqual(
      [first.moreFragments, first.fragmentOffset, second.moreFragments, second.fragmentOffset],
      [true, 0, false, 24],
    );
    const datagram = concat(frames[1].subarray(34), frames[2].subarray(34));
    expectUdp(layer(decoded[2], "udp"), datagram, 0);
  });

  it("TCP SYN with options under Q-in-Q tags", () => {
    const layers = decoded[3];
    const eth = expectEthernet(layer(layers, "eth"), frames[3]);
    assert.deepEqual(eth.vlanIds, [200, 300]);
    assert.equal(num(layer(layers, "ieee8021ad"), "ieee8021ad.id"), 200);
    assert.equal(num(layer(layers, "vlan"), "vlan.id"), 300);
    const ip = expectIpv4(layer(layers, "ip"), frames[3], eth.headerLength);
    const tcp = expectTcp(layer(layers, "tcp"), frames[3], eth.headerLength + ip.headerLength);
    assert.equal(tcp.options.length, 5);
  });

  it("TCP segment with SACK blocks and data", () => {
    const ip = expectIpv4(layer(decoded[4], "ip"), frames[4], 14);
    const tcp = expectTcp(layer(decoded[4], "tcp"), frames[4], 14 + ip.headerLength);
    assert.equal(num(layer(decoded[4], "tcp"), "tcp.len"), ip.totalLength - ip.headerLength - tcp.headerLength);
  });

  it("ICMP Time Exceeded and the UDP probe it quotes", () => {
    const layers = decoded[5];
    const frame = frames[5];
    const ip = expectIpv4(layer(layers, "ip"), frame, 14);
    const at = 14 + ip.headerLength;
    const icmp = decodeIcmp(frame, at, ip.totalLength - ip.headerLength);
    const f = layer(layers, "icmp");
    assert.equal(num(f, "icmp.checksum.status"), GOOD, "tshark finds the ICMP checksum good");
    assert.equal(icmp.checksumValid, true);
    assert.equal(num(f, "icmp.type"), icmp.type);
    assert.equal(num(f, "icmp.code"), icmp.code);
    assert.equal(num(f, "icmp.checksum"), icmp.checksum);
    const icmpNode = layers.icmp as Record<string, unknown>;
    const quote = icmp.quote!;
    expectIpv4(fieldsOf(icmpNode.ip), frame, at + 8);
    const quotedUdp = fieldsOf(icmpNode.udp);
    assert.equal(quote.transport.kind, "udp");
    if (quote.transport.kind === "udp") {
      assert.equal(num(quotedUdp, "udp.srcport"), quote.transport.srcPort);
      assert.equal(num(quotedUdp, "udp.dstport"), quote.transport.dstPort);
      assert.equal(num(quotedUdp, "udp.length"), quote.transport.length);
      assert.equal(num(quotedUdp, "udp.checksum"), quote.transport.checksum);
      assert.equal(num(quotedUdp, "udp.checksum.status"), GOOD);
    }
  });

  it("IPv6 hop-by-hop, destination options and fragment headers, UDP checksum good", () => {
    const layers = decoded[6];
    const frame = frames[6];
    const ip = decodeIpv6(frame, 14);
    const f = layer(layers, "ipv6");
    assert.equal(num(f, "ipv6.version"), ip.version);
    assert.equal(num(f, "ipv6.tclass"), ip.trafficClass);
    assert.equal(num(f, "ipv6.flow"), ip.flowLabel);
    assert.equal(num(f, "ipv6.plen"), ip.payloadLength);
    assert.equal(num(f, "ipv6.nxt"), ip.nextHeader);
    assert.equal(num(f, "ipv6.hlim"), ip.hopLimit);
    assert.equal(str(f, "ipv6.src"), ipv6ToString(ip.srcAddr));
    assert.equal(str(f, "ipv6.dst"), ipv6ToString(ip.dstAddr));
    const chain = ip.extensionHeaders.map((e) => e.type);
    assert.deepEqual(chain, [0, 60, 44]);
    assert.equal(num(f, "ipv6.hopopts.nxt"), chain[1]);
    assert.equal(num(f, "ipv6.hopopts.len_oct"), 2 + ip.extensionHeaders[0].body.length);
    assert.equal(num(f, "ipv6.dstopts.nxt"), chain[2]);
    assert.equal(num(f, "ipv6.dstopts.len_oct"), 2 + ip.extensionHeaders[1].body.length);
    assert.equal(num(f, "ipv6.fraghdr.nxt"), ip.upperLayerProtocol);
    assert.equal(num(f, "ipv6.fraghdr.offset"), ip.fragment!.fragmentOffset / 8);
    assert.equal(num(f, "ipv6.fraghdr.more"), bit(ip.fragment!.moreFragments));
    assert.equal(num(f, "ipv6.fraghdr.ident"), ip.fragment!.identification);
    expectUdp(layer(layers, "udp"), frame, ip.upperLayerOffset);
  });

  it("VXLAN with the inner Ethernet/IPv4/UDP frame", () => {
    const layers = decoded[7];
    const frame = frames[7];
    expectEthernet(layer(layers, "eth"), frame);
    expectIpv4(layer(layers, "ip"), frame, 14);
    expectUdp(layer(layers, "udp"), frame, 34);
    const vxlan = decodeVxlan(frame, 42);
    const f = layer(layers, "vxlan");
    assert.equal(num(f, "vxlan.flag_i"), bit(vxlan.vniValid));
    assert.equal(num(f, "vxlan.flags"), (vxlan.flags << 8) | (vxlan.reserved1 >>> 16));
    assert.equal(num(f, "vxlan.vni"), vxlan.vni);
    assert.equal(num(f, "vxlan.reserved8"), vxlan.reserved2);
    expectInnerFrame(layers, frame, 50);
  });

  it("GRE + ERSPAN type II with the mirrored frame", () => {
    const layers = decoded[8];
    const frame = frames[8];
    const ip = expectIpv4(layer(layers, "ip"), frame, 14);
    const at = 14 + ip.headerLength;
    const gre = expectGre(layer(layers, "gre"), frame, at, ip.totalLength - ip.headerLength);
    assert.equal(gre.protocolType, ETHERTYPE_ERSPAN_II);
    const erspan = expectErspan(layer(layers, "erspan"), frame, at + gre.headerLength);
    expectInnerFrame(layers, frame, at + gre.headerLength + erspanEncodingLength(erspan));
  });

  it("GRE + ERSPAN type III with platform subheader and the mirrored frame", () => {
    const layers = decoded[9];
    const frame = frames[9];
    const ip = expectIpv4(layer(layers, "ip"), frame, 14);
    const at = 14 + ip.headerLength;
    const gre = expectGre(layer(layers, "gre"), frame, at, ip.totalLength - ip.headerLength);
    assert.equal(gre.protocolType, ETHERTYPE_ERSPAN_III);
    const erspan = expectErspan(layer(layers, "erspan"), frame, at + gre.headerLength);
    assert.equal(erspanEncodingLength(erspan), 20);
    expectInnerFrame(layers, frame, at + gre.headerLength + 20);
  });

  it("GRE with checksum and key carrying IPv4", () => {
    const layers = decoded[10];
    const frame = frames[10];
    const ip = expectIpv4(layer(layers, "ip"), frame, 14);
    const at = 14 + ip.headerLength;
    const gre = expectGre(layer(layers, "gre"), frame, at, ip.totalLength - ip.headerLength);
    assert.equal(
      greEncodingLength({ protocolType: gre.protocolType, checksumPresent: true, key: gre.key }),
      gre.headerLength,
    );
    expectIpv4(layer(layers, "ip", 1), frame, at + gre.headerLength);
    expectUdp(layer(layers, "udp"), frame, at + gre.headerLength + 20);
  });
});
