/**
 * The provider chain: the most specific rule decides which providers a hop may use; hopd is asked first, SNMP next,
 * nothing (ICMP only) last; a failing provider is skipped for the hop during the hold-down; egress `chosen` is filled
 * for a single-path egress; mirrors and releases reach every provider that supports them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ProbeTarget } from "../../src/probe/transport.ts";
import { MirrorUnsupportedError } from "../../src/telemetry/icmp-only.ts";
import { type ChainFallback, ProviderChain } from "../../src/telemetry/provider-chain.ts";
import {
  type HopQuery,
  type HopTelemetry,
  type MirrorRequest,
  type TelemetryProvider,
  zeroCounters,
} from "../../src/telemetry/provider.ts";

const flow: ProbeTarget = {
  kind: "flow",
  flow: { src: "10.1.1.11", dst: "10.1.2.11", proto: "tcp", sport: 1, dport: 2 },
  checksum: true,
};
const mirror: MirrorRequest = { type: "erspan", direction: "ingress", analyzer: "10.1.1.250" };

function telemetry(devName: string, members = ["eth1"]): HopTelemetry {
  const counters = zeroCounters(0);
  return {
    devName,
    devSerialId: "",
    cpuUtil: 1,
    memUtil: 2,
    timestampType: "LCPU",
    ingress: [],
    egress: { members: members.map((name) => ({ name, counters })), numBuckets: members.length, l2Ecmp: [] },
  };
}

/** A provider that answers from a script: a telemetry, null, or an error. */
class ScriptedProvider implements TelemetryProvider {
  readonly asked: string[] = [];
  readonly mirrors: ProbeTarget[] = [];
  readonly released: ProbeTarget[] = [];
  closed = false;
  constructor(
    readonly name: string,
    private readonly answer: (q: HopQuery) => HopTelemetry | null | Error,
    private readonly mirrorAnswer: Error | null = null,
  ) {}
  async hop(q: HopQuery): Promise<HopTelemetry | null> {
    this.asked.push(q.responder);
    const a = this.answer(q);
    if (a instanceof Error) throw a;
    return a;
  }
  async startMirror(t: ProbeTarget): Promise<void> {
    if (this.mirrorAnswer !== null) throw this.mirrorAnswer;
    this.mirrors.push(t);
  }
  async release(t: ProbeTarget): Promise<void> {
    this.released.push(t);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const q = (responder: string): HopQuery => ({ responder, target: flow, bwIngress: false });

describe("provider chain: selection", () => {
  test("hopd answers where configured; SNMP where only SNMP is; nothing where no rule or an ICMP-only rule matches", async () => {
    const hopd = new ScriptedProvider("hopd", (x) => telemetry(`hopd:${x.responder}`));
    const snmp = new ScriptedProvider("snmp", (x) => telemetry(`snmp:${x.responder}`));
    const chain = new ProviderChain({
      rules: [
        { match: ["10.0.0.1", "10.255.2.1"], providers: ["hopd", "snmp"] },
        { match: ["10.0.0.0/8"], providers: ["snmp"] },
        { match: ["10.9.0.0/16"], providers: [] },
      ],
      providers: { hopd, snmp },
    });
    assert.equal((await chain.hop(q("10.0.0.1")))?.devName, "hopd:10.0.0.1");
    assert.equal((await chain.hop(q("10.0.2.1")))?.devName, "snmp:10.0.2.1");
    assert.equal(await chain.hop(q("10.9.1.1")), null);
    assert.equal(await chain.hop(q("192.168.1.1")), null);
    assert.deepEqual(hopd.asked, ["10.0.0.1"]);
    assert.deepEqual(snmp.asked, ["10.0.2.1"]);
    assert.deepEqual(chain.plan("10.0.0.1"), ["hopd", "snmp"]);
    assert.deepEqual(chain.plan("10.9.1.1"), []);
  });

  test("an unreachable hopd falls back to SNMP, is held down for the hop, and is asked again after the hold-down", async () => {
    let now = 0;
    let hopdUp = false;
    const hopd = new ScriptedProvider("hopd", () => (hopdUp ? telemetry("hopd") : new Error("ECONNREFUSED")));
    const snmp = new ScriptedProvider("snmp", () => telemetry("snmp"));
    const fallbacks: ChainFallback[] = [];
    const chain = new ProviderChain({
      rules: [{ match: ["10.0.0.0/8"], providers: ["hopd", "snmp"] }],
      providers: { hopd, snmp },
      holdDownMs: 30_000,
      now: () => now,
      onFallback: (e) => fallbacks.push(e),
    });
    assert.equal((await chain.hop(q("10.0.0.1")))?.devName, "snmp");
    assert.equal(fallbacks.length, 1);
    assert.equal(fallbacks[0]?.kind, "hopd");
    hopdUp = true;
    now = 10_000;
    assert.equal((await chain.hop(q("10.0.0.1")))?.devName, "snmp");
    assert.equal(hopd.asked.length, 1, "held down: hopd not asked again");
    assert.equal((await chain.hop(q("10.0.0.2")))?.devName, "hopd", "another hop is not held down");
    now = 31_000;
    assert.equal((await chain.hop(q("10.0.0.1")))?.devName, "hopd");
  });

  test("a provider answering null passes the hop on without a hold-down; all failing gives ICMP only", async () => {
    const hopd = new ScriptedProvider("hopd", () => null);
    const snmp = new ScriptedProvider("snmp", () => new Error("timeout"));
    const chain = new ProviderChain({
      rules: [{ match: ["10.0.0.0/8"], providers: ["hopd", "snmp"] }],
      providers: { hopd, snmp },
    });
    assert.equal(await chain.hop(q("10.0.0.1")), null);
    assert.equal(await chain.hop(q("10.0.0.1")), null);
    assert.equal(hopd.asked.length, 2);
    assert.equal(snmp.asked.length, 1);
  });

  test("a retryable failure (a slow device still answering) is not held down: the next round asks again", async () => {
    let slow = true;
    const snmp = new ScriptedProvider("snmp", () =>
      slow ? Object.assign(new Error("slow"), { code: "ERR_SNMP_TIMEOUT", retryable: true }) : telemetry("snmp"),
    );
    const chain = new ProviderChain({ rules: [{ match: ["0.0.0.0/0"], providers: ["snmp"] }], providers: { snmp } });
    assert.equal(await chain.hop(q("10.0.0.1")), null);
    slow = false;
    assert.equal((await chain.hop(q("10.0.0.1")))?.devName, "snmp");
  });

  test("a rule naming a provider that is not configured skips it", async () => {
    const snmp = new ScriptedProvider("snmp", () => telemetry("snmp"));
    const chain = new ProviderChain({
      rules: [{ match: ["0.0.0.0/0"], providers: ["hopd", "snmp"] }],
      providers: { snmp },
    });
    assert.equal((await chain.hop(q("10.1.1.1")))?.devName, "snmp");
  });

  test("a single-path egress gets its member as chosen; an ECMP group without a choice stays open", async () => {
    const snmp = new ScriptedProvider("snmp", (x) =>
      telemetry("s", x.responder === "10.0.0.1" ? ["eth1"] : ["a", "b"]),
    );
    const chain = new ProviderChain({ rules: [{ match: ["0.0.0.0/0"], providers: ["snmp"] }], providers: { snmp } });
    assert.equal((await chain.hop(q("10.0.0.1")))?.egress.chosen, "eth1");
    assert.equal((await chain.hop(q("10.0.0.2")))?.egress.chosen, undefined);
  });
});

describe("provider chain: mirrors, releases, close", () => {
  test("mirrors go to providers that can mirror; SNMP's refusal is not an error when hopd mirrors", async () => {
    const hopd = new ScriptedProvider("hopd", () => null);
    const snmp = new ScriptedProvider("snmp", () => null, new MirrorUnsupportedError("snmp"));
    const chain = new ProviderChain({ rules: [], providers: { hopd, snmp } });
    await chain.startMirror(flow, mirror);
    assert.equal(hopd.mirrors.length, 1);
    await chain.release(flow);
    assert.equal(hopd.released.length, 1);
    assert.equal(snmp.released.length, 1);
    await chain.close();
    assert.ok(hopd.closed && snmp.closed);
  });

  test("mirroring with no provider able to mirror is refused with ERR_TELEMETRY_MIRROR_UNSUPPORTED", async () => {
    const snmp = new ScriptedProvider("snmp", () => null, new MirrorUnsupportedError("snmp"));
    await assert.rejects(new ProviderChain({ rules: [], providers: { snmp } }).startMirror(flow, mirror), {
      code: "ERR_TELEMETRY_MIRROR_UNSUPPORTED",
    });
    await assert.rejects(new ProviderChain({ rules: [], providers: {} }).startMirror(flow, mirror), {
      code: "ERR_TELEMETRY_MIRROR_UNSUPPORTED",
    });
  });

  test("a mirror failure other than unsupported is reported as it is", async () => {
    const hopd = new ScriptedProvider("hopd", () => null, new Error("hopd: analyzer unreachable"));
    const snmp = new ScriptedProvider("snmp", () => null, new MirrorUnsupportedError("snmp"));
    await assert.rejects(
      new ProviderChain({ rules: [], providers: { hopd, snmp } }).startMirror(flow, mirror),
      /analyzer/,
    );
  });
});
