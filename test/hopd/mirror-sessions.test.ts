/**
 * Mirror sessions end to end without privileges: a stand-in for tcpdump (a shell script announcing itself and writing
 * a pcap stream of three frames) feeds the session, whose ERSPAN packets a recording sender keeps. Checks the
 * encapsulation per session, idempotent starts, release, a capture that fails, and a sender that died.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type MirrorPlan, MirrorSessions } from "../../src/hopd/mirror-sessions.ts";
import type { PacketSender } from "../../src/hopd/packet-sender.ts";
import { decodeGreErspan } from "../../src/wire/erspan.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { encodePcap } from "../../src/wire/pcap-writer.ts";
import { encodeEthernetIpv4UdpFrame } from "../../src/wire/udp-packet.ts";

const dir = mkdtempSync(join(tmpdir(), "flowlens-hopd-mirror-"));
const FAKE = join(dir, "tcpdump");
const PCAP = join(dir, "three.pcap");
writeFileSync(
  FAKE,
  [
    "#!/bin/sh",
    'if [ -n "$FAKE_TCPDUMP_FAIL" ]; then echo "tcpdump: $2: No such device exists" >&2; exit 1; fi',
    'echo "tcpdump: listening on $2, link-type EN10MB (Ethernet), snapshot length 262144 bytes" >&2',
    `cat "${PCAP}"`,
    "exec sleep 30",
    "",
  ].join("\n"),
);
chmodSync(FAKE, 0o755);
const frames = [0, 1, 2].map((i) =>
  encodeEthernetIpv4UdpFrame({
    srcAddr: ipv4FromString("10.1.1.11"),
    dstAddr: ipv4FromString("10.1.2.11"),
    srcPort: 40000,
    dstPort: 33434,
    payload: new TextEncoder().encode(`frame-${i}`),
  }),
);
writeFileSync(PCAP, encodePcap(frames.map((data) => ({ data }))));

class RecordingSender implements PacketSender {
  packets: Uint8Array[] = [];
  errors = 0;
  alive = true;
  closed = false;
  send(packet: Uint8Array): void {
    this.packets.push(packet.slice());
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const PLAN: MirrorPlan = {
  tuple: { src: "10.1.1.11", dst: "10.1.2.11", proto: "udp", sport: 40000, dport: 33434 },
  direction: "ingress",
  analyzer: "10.9.9.9",
  ports: [{ ifname: "br-hosts", ifindex: 5, direction: "in" }],
};

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

describe("mirror sessions", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  const senders: RecordingSender[] = [];
  const sessions = new MirrorSessions({
    source: "10.255.1.1",
    maxFrame: 1464,
    maxSessions: 2,
    tcpdump: FAKE,
    sender: async () => {
      const s = new RecordingSender();
      senders.push(s);
      return s;
    },
  });

  test("captured frames go out as ERSPAN II with the session's id, the port's index, sequence numbers", async () => {
    const status = await sessions.start("a", PLAN);
    assert.equal(status.sessionId, 1);
    assert.deepEqual(status.interfaces, ["br-hosts:in"]);
    const sender = senders[0]!;
    await until(() => sender.packets.length === 3, "three packets mirrored");
    sender.packets.forEach((p, i) => {
      const g = decodeGreErspan(p, 20);
      assert.equal(g.gre.sequenceNumber, i);
      assert.equal(g.erspan?.sessionId, 1);
      assert.equal(g.erspan?.version === 1 ? g.erspan.index : -1, 5);
      assert.deepEqual(p.subarray(g.frameOffset), frames[i]);
    });
    assert.equal(sessions.list()[0]?.packets, 3);
  });

  test("the same request keeps the session; another flow gets the next id; the limit holds", async () => {
    assert.equal((await sessions.start("a", PLAN)).sessionId, 1);
    assert.equal(senders[0]!.packets.length, 3, "no second capture");
    assert.equal((await sessions.start("b", { ...PLAN, direction: "both" })).sessionId, 2);
    await assert.rejects(sessions.start("c", PLAN), { code: "ERR_HOPD_LIMIT" });
    await sessions.release("b");
    await sessions.release("b");
    assert.equal(sessions.size, 1);
  });

  test("a capture that fails is an ERR_HOPD_MIRROR naming tcpdump's complaint", async () => {
    process.env.FAKE_TCPDUMP_FAIL = "1";
    try {
      await assert.rejects(sessions.start("d", { ...PLAN, ports: [{ ifname: "eth9", ifindex: 9, direction: "in" }] }), {
        code: "ERR_HOPD_MIRROR",
        message: /eth9: No such device exists/,
      });
    } finally {
      delete process.env.FAKE_TCPDUMP_FAIL;
    }
    assert.equal(sessions.size, 1);
  });

  test("a dead sender is replaced and its sessions restarted", async () => {
    senders[0]!.alive = false;
    const status = await sessions.start("a", PLAN);
    assert.equal(senders.length, 2, "a new sender");
    await until(() => senders[1]!.packets.length === 3, "mirrored through the new sender");
    assert.equal(decodeGreErspan(senders[1]!.packets[0]!, 20).gre.sequenceNumber, 0, "a new session counts from 0");
    assert.ok(status.packets <= 3, "start reports the new session's count, not the old one's");
    assert.equal(sessions.list()[0]?.packets, 3, "the restarted session counts its own packets only");
    await sessions.close();
    assert.equal(sessions.size, 0);
    assert.equal(senders[1]!.closed, true);
  });
});
