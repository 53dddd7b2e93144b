/**
 * The agent on the raw transport (`network: raw`, issue 6) on the real lab: the default leaf-spine lab under a unique
 * prefix, the agent started in this process with its probe helper run in h1 under `ip netns exec`, ICMP-only
 * telemetry. For a TCP and a UDP flow h1 -> h2, start/flow, one round, then data/flow's Path must list the real
 * routers in the real order (leaf1's host-facing address, the spine that leaf1's own `ip route get … iif br-hosts`
 * picks for the 5-tuple, the leaf2 address that spine picks), each `NO_TELEMETRY` with a latency, and h2 answering as
 * the destination (`DestinationReached`: the agent lists the hops before the destination, src/agent/probe-round.ts);
 * stop/flow ends it. Root only (gated like the other netns suites); the agent and the lab are removed in `after`, also when a
 * test fails. The checks at the end (a missing helper refused in one line, the ICMP-only provider) need no privilege.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { agentConfigSchema } from "../../src/agent/config.ts";
import { type RunningRawAgent, startRawAgent } from "../../src/cli/daemon/raw-agent.ts";
import { HelperUnavailableError } from "../../src/probe/helper/errors.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { IcmpOnlyTelemetry, MirrorUnsupportedError } from "../../src/telemetry/icmp-only.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { H1, H2, LAB_SKIP, LEAF1_HOST_SIDE, TestLab, fabricPath } from "./lab-fixture.ts";
import { type Json, agentGetter, h1h2Query, pollUntil, startLabRawAgent } from "./raw-agent-fixture.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SKIP = LAB_SKIP || needsProgram("cc", "gcc");

describe("the agent on the raw transport in the default lab", { skip: SKIP }, () => {
  const lab = new TestLab("a");
  const ns = lab.ns;
  let agent: RunningRawAgent | null = null;
  const get = agentGetter(() => agent);

  before(async () => {
    lab.up();
    agent = await startLabRawAgent(ns("h1"));
  });
  after(async () => {
    try {
      await agent?.stop();
    } finally {
      lab.down();
    }
  });

  for (const flow of [
    { proto: "tcp", sport: 4567, dport: 9000 },
    { proto: "udp", sport: 4567, dport: 9000 },
  ] as const) {
    test(`${flow.proto} flow h1 -> h2: the Path is leaf1, the spine the kernel picks, leaf2; h2 is reached`, async () => {
      const query = h1h2Query(flow);
      const started = await get(`/start/flow?${query}&nhops=8&timeout=2`);
      assert.equal(started.code, "EOK", JSON.stringify(started));
      try {
        const path = await pollUntil(get, `/data/flow?${query}`, (b) => b.DestinationReached === true);
        const { spine, leaf2 } = fabricPath(ns, { ...flow, src: H1, dst: H2 });
        const hops = (path.Path ?? []) as Json[];
        const why = JSON.stringify(path);
        assert.equal(path.DestinationReached, true, why);
        assert.deepEqual(
          hops.map((h) => [h.HOP, h.HopAddress, h.HopStatus]),
          [
            [1, LEAF1_HOST_SIDE, "NO_TELEMETRY"],
            [2, spine, "NO_TELEMETRY"],
            [3, leaf2, "NO_TELEMETRY"],
          ],
          why,
        );
        for (const h of hops) assert.ok(h.Latency >= 0 && h.Latency < 1, `latency ${h.Latency} s (${why})`);
      } finally {
        assert.equal((await get(`/stop/flow?${query}`)).code, "EOK");
      }
    });
  }
});

describe("the raw agent without privilege or lab", () => {
  test("a missing helper is refused at start with its typed error; nothing is left listening", async () => {
    const config = agentConfigSchema.parse({
      network: "raw",
      raw: { "helper-path": "/nonexistent/flowlens-probe" },
      http: { host: "127.0.0.1", port: 0 },
    });
    await assert.rejects(
      startRawAgent(config, {
        logger: createLogger({ level: "silent" }),
        metrics: new Metrics({ defaultMetrics: false }),
      }),
      (e: unknown) => e instanceof HelperUnavailableError && e.code === "ERR_PROBE_HELPER_UNAVAILABLE",
    );
  });

  test("`flowlens agent` with a missing helper says so in one line and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-raw-agent-"));
    try {
      const file = join(dir, "agent.yaml");
      writeFileSync(file, "network: raw\nraw: { helper-path: /nonexistent/flowlens-probe }\nhttp: { port: 0 }\n");
      const r = spawnSync(process.execPath, ["bin/flowlens.js", "agent", "-c", file], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, FLOWLENS_FROM_SOURCE: "1" },
      });
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? "", /^flowlens agent: cannot start: .*build-native.*\(ERR_PROBE_HELPER_UNAVAILABLE\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("network defaults to simulated; raw takes only helper-path", () => {
    assert.equal(agentConfigSchema.parse({}).network, "simulated");
    assert.equal(agentConfigSchema.parse({ network: "raw" }).raw["helper-path"], undefined);
    assert.equal(agentConfigSchema.safeParse({ raw: { helper: "/x" } }).success, false);
  });

  test("the ICMP-only provider knows no hop, refuses mirroring with its code, releases nothing", async () => {
    const t = new IcmpOnlyTelemetry();
    const target = {
      kind: "flow",
      flow: { src: H1, dst: H2, proto: "udp", sport: 1, dport: 2 },
      checksum: true,
    } as const;
    assert.equal(await t.hop({ responder: LEAF1_HOST_SIDE, target, bwIngress: false }), null);
    await assert.rejects(
      t.startMirror(target, { type: "erspan", direction: "both", analyzer: "10.9.9.9" }),
      (e: unknown) =>
        e instanceof MirrorUnsupportedError && e.code === "ERR_TELEMETRY_MIRROR_UNSUPPORTED" && /hopd/.test(e.message),
    );
    await t.release(target);
    await t.close();
  });
});
