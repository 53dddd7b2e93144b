/**
 * The ERSPAN type II encapsulation hopd sends (IPv4 + GRE 0x88BE with sequence number + ERSPAN II + frame), decoded
 * back with the wire codecs; truncation to the largest frame sets T; raw-IP and cooked captures get an Ethernet header.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ERSPAN_OVERHEAD,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_RAW,
  asEthernetFrame,
  encodeErspanPacket,
} from "../../src/hopd/erspan-packet.ts";
import { checkMirrorRequest } from "../../src/hopd/mirror-sessions.ts";
import { captureArgs, flowFilter } from "../../src/hopd/flow-capture.ts";
import { decodeGreErspan } from "../../src/wire/erspan.ts";
import { decodeEthernet, ETHERTYPE_IPV4 } from "../../src/wire/ethernet.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { IPPROTO_GRE, decodeIpv4 } from "../../src/wire/ipv4.ts";

const SESSION = { source: "10.255.1.1", analyzer: "10.1.2.200", sessionId: 7, index: 5, maxFrame: 1464 };

function frame(length: number): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < length; i++) f[i] = (i * 7) & 0xff;
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
}

describe("ERSPAN II encapsulation", () => {
  test("decodes back: outer IPv4 to the analyzer, GRE sequence, session, index, the frame intact", () => {
    const f = frame(98);
    const packet = encodeErspanPacket(SESSION, f, 41);
    assert.equal(packet.length, ERSPAN_OVERHEAD + 98);
    const ip = decodeIpv4(packet);
    assert.equal(ip.protocol, IPPROTO_GRE);
    assert.equal(ip.checksumValid, true);
    assert.equal(ipv4ToString(ip.srcAddr), "10.255.1.1");
    assert.equal(ipv4ToString(ip.dstAddr), "10.1.2.200");
    assert.equal(ip.totalLength, packet.length);
    const g = decodeGreErspan(packet, ip.headerLength);
    assert.equal(g.gre.protocolType, 0x88be);
    assert.equal(g.gre.sequenceNumber, 41);
    assert.equal(g.erspan?.version, 1);
    assert.equal(g.erspan?.sessionId, 7);
    assert.equal(g.erspan?.version === 1 ? g.erspan.index : -1, 5);
    assert.equal(g.erspan?.truncated, false);
    assert.deepEqual(packet.subarray(g.frameOffset), f);
  });

  test("frames beyond maxFrame are cut and flagged T; sequence numbers wrap at 2^32", () => {
    const packet = encodeErspanPacket({ ...SESSION, maxFrame: 100 }, frame(300), 0xffffffff);
    assert.equal(packet.length, ERSPAN_OVERHEAD + 100);
    const g = decodeGreErspan(packet, 20);
    assert.equal(g.erspan?.truncated, true);
    assert.equal(g.gre.sequenceNumber, 0xffffffff);
    const short = encodeErspanPacket(SESSION, frame(60), 1, 1514);
    assert.equal(decodeGreErspan(short, 20).erspan?.truncated, true, "captured shorter than on the wire");
  });

  test("raw IP and Linux cooked captures get a zero-MAC Ethernet header", () => {
    const ip = new Uint8Array([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    const raw = asEthernetFrame(LINKTYPE_RAW, ip);
    assert.ok(raw);
    const eth = decodeEthernet(raw);
    assert.equal(eth.etherType, ETHERTYPE_IPV4);
    assert.deepEqual(raw.subarray(14), ip);
    const cooked = new Uint8Array(16 + ip.length);
    cooked.set(ip, 16);
    assert.deepEqual(asEthernetFrame(LINKTYPE_LINUX_SLL, cooked)?.subarray(14), ip);
    const f = frame(64);
    assert.equal(asEthernetFrame(LINKTYPE_ETHERNET, f), f);
    assert.equal(asEthernetFrame(228, ip), null);
    assert.equal(asEthernetFrame(LINKTYPE_RAW, new Uint8Array([0x10])), null);
  });
});

describe("mirror requests and captures", () => {
  test("only ERSPAN; directions ingress, egress, both", () => {
    assert.equal(checkMirrorRequest({ type: "ERSPAN", direction: "ingress", analyzer: "10.0.0.9" }), "ingress");
    assert.equal(checkMirrorRequest({ type: "erspan", direction: "BOTH", analyzer: "10.0.0.9" }), "both");
    assert.throws(() => checkMirrorRequest({ type: "rspan", direction: "ingress", analyzer: "10.0.0.9" }), {
      code: "ERR_HOPD_MIRROR",
    });
    assert.throws(() => checkMirrorRequest({ type: "ERSPAN", direction: "sideways", analyzer: "10.0.0.9" }), {
      code: "ERR_HOPD_MIRROR",
    });
  });

  test("tcpdump arguments: direction, packet-buffered pcap on stdout, the exact tuple", () => {
    const tuple = { src: "10.1.1.11", dst: "10.1.2.11", proto: "udp" as const, sport: 40000, dport: 33434 };
    assert.equal(
      flowFilter(tuple),
      "ip and src host 10.1.1.11 and dst host 10.1.2.11 and udp and src port 40000 and dst port 33434",
    );
    assert.deepEqual(captureArgs("br-hosts", "in", tuple, 1464).slice(0, 11), [
      "-i",
      "br-hosts",
      "-Q",
      "in",
      "--immediate-mode",
      "-U",
      "-w",
      "-",
      "-n",
      "-s",
      "1464",
    ]);
  });
});
