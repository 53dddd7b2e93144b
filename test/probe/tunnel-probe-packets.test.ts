/**
 * VXLAN tunnel probes (src/probe/raw/probe-packets.ts): the outer tuple exactly the tunnel's (VTEPs, outer source port
 * to 4789), the identity in the outer IP ID, the TTL walking, outer UDP checksum 0, the VNI, the inner frame's MACs and
 * addresses with a valid inner UDP checksum and the "FLPR" marker; Wireshark's tshark (when installed) decodes the same
 * fields from a pcap of them. The overlay sniffer's decoder reads a probe as a probe.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeOverlayPacket } from "../../src/agent/overlay-flows.ts";
import { TUNNEL_PROBE_INNER_PORT, encodeTunnelProbe, isTunnelProbePayload } from "../../src/probe/raw/probe-packets.ts";
import { decodeEthernet, macToString } from "../../src/wire/ethernet.ts";
import { ipv4FromString, ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { decodeIpv4Header } from "../../src/wire/ipv4.ts";
import { LINKTYPE_RAW, encodePcap } from "../../src/wire/pcap-writer.ts";
import { decodeUdp, verifyUdpChecksumIpv4 } from "../../src/wire/udp.ts";
import { decodeVxlan } from "../../src/wire/vxlan.ts";
import { needsProgram } from "../helpers/requirements.ts";

const FIELDS = {
  srcAddr: ipv4FromString("10.1.1.11"),
  dstAddr: ipv4FromString("10.1.2.11"),
  srcPort: 53812,
  dstPort: 4789,
  vni: 200,
  innerSrcMac: "52:54:00:b8:9b:2e",
  innerDstMac: "52:54:00:6e:cc:dc",
  innerSrcAddr: ipv4FromString("10.0.0.2"),
  innerDstAddr: ipv4FromString("10.0.0.3"),
  innerSrcPort: 53812,
  attempt: 2,
};

describe("VXLAN tunnel probes", () => {
  it("carry the tunnel's outer tuple, the TTL and identity outside, the VNI and inner frame inside", () => {
    for (const [ttl, identification] of [
      [1, 1],
      [4, 4242],
      [255, 65535],
    ] as const) {
      const p = encodeTunnelProbe({ ...FIELDS, ttl, identification });
      const outer = decodeIpv4Header(p, 0);
      assert.deepEqual(
        [ipv4ToString(outer.srcAddr), ipv4ToString(outer.dstAddr), outer.protocol, outer.ttl, outer.identification],
        ["10.1.1.11", "10.1.2.11", 17, ttl, identification],
      );
      assert.equal(outer.totalLength, p.length);
      const udp = decodeUdp(p, 20);
      assert.deepEqual([udp.srcPort, udp.dstPort, udp.checksum, udp.length], [53812, 4789, 0, p.length - 20]);
      const vxlan = decodeVxlan(p, 28);
      assert.deepEqual([vxlan.vni, vxlan.vniValid], [200, true]);
      const eth = decodeEthernet(p, 36);
      assert.deepEqual(
        [macToString(eth.srcMac), macToString(eth.dstMac), eth.etherType],
        [FIELDS.innerSrcMac, FIELDS.innerDstMac, 0x0800],
      );
      const inner = decodeIpv4Header(p, 50);
      assert.deepEqual(
        [ipv4ToString(inner.srcAddr), ipv4ToString(inner.dstAddr), inner.ttl, inner.identification],
        ["10.0.0.2", "10.0.0.3", 64, identification],
      );
      const innerUdp = decodeUdp(p, 70);
      assert.deepEqual([innerUdp.srcPort, innerUdp.dstPort], [53812, TUNNEL_PROBE_INNER_PORT]);
      assert.ok(verifyUdpChecksumIpv4(p.subarray(50), 20, inner.srcAddr, inner.dstAddr));
      assert.ok(isTunnelProbePayload(p.subarray(78)));
      assert.deepEqual([...p.subarray(82)], [identification >>> 8, identification & 0xff, ttl, 2]);
      assert.equal(decodeOverlayPacket(p), "probe");
    }
  });

  it("probes of one tunnel differ only in outer TTL, IP ID and checksum, and in the inner identity (ECMP sees one flow)", () => {
    const a = encodeTunnelProbe({ ...FIELDS, ttl: 1, identification: 10 });
    const b = encodeTunnelProbe({ ...FIELDS, ttl: 9, identification: 11 });
    const differ = [...a.keys()].filter((i) => a[i] !== b[i]);
    const allowed = new Set([4, 5, 8, 10, 11, 54, 55, 60, 61, 76, 77, 82, 83, 84]);
    assert.deepEqual(
      differ.filter((i) => !allowed.has(i)),
      [],
    );
  });

  it("Wireshark's tshark decodes the same outer tuple, VNI and inner flow", { skip: needsProgram("tshark") }, () => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-tunnel-probe-"));
    try {
      const file = join(dir, "probe.pcap");
      const p = encodeTunnelProbe({ ...FIELDS, ttl: 3, identification: 777 });
      writeFileSync(file, encodePcap([{ data: p, timestampNs: 1_000_000_000n }], { linkType: LINKTYPE_RAW }));
      const fields = [
        "ip.src",
        "ip.dst",
        "ip.ttl",
        "ip.id",
        "udp.srcport",
        "udp.dstport",
        "vxlan.vni",
        "eth.src",
        "eth.dst",
      ];
      const r = spawnSync(
        "tshark",
        ["-r", file, "-T", "fields", "-E", "separator=|", ...fields.flatMap((f) => ["-e", f])],
        {
          encoding: "utf8",
          timeout: 30_000,
        },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("|"), [
        "10.1.1.11,10.0.0.2",
        "10.1.2.11,10.0.0.3",
        "3,64",
        "0x0309,0x0309",
        "53812,53812",
        "4789,33434",
        "200",
        FIELDS.innerSrcMac,
        FIELDS.innerDstMac,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
