/**
 * The agent as a daemon: `startSimulatedAgent` listening on loopback (real HTTP, manual clock) with `/version`,
 * `/metrics`, `/healthz`, the optional bearer token; and `flowlens agent -c FILE` as a child process: `--check`,
 * `--dump`, a bad configuration refused, the daemon serving start/flow and data/flow and draining on SIGTERM.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { agentConfigSchema } from "../../src/agent/config.ts";
import { defaultAgentConfigText } from "../../src/agent/default-config.ts";
import { startSimulatedAgent } from "../../src/cli/daemon/sim-agent.ts";
import { loadConfig } from "../../src/runtime/config.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { type Child, startChild, waitFor } from "../helpers/processes.ts";
import { ManualClock } from "./fakes.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FLOW = "dport=9000&src=10.1.1.1&dst=10.1.7.1&sport=4567&proto=tcp";
const dir = mkdtempSync(join(tmpdir(), "flowlens-agent-"));
const children: Child[] = [];
after(async () => {
  await Promise.all(children.map((c) => c.stop("SIGKILL")));
  rmSync(dir, { recursive: true, force: true });
});

function flowlens(args: string[]): Child {
  const child = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), ...args], { cwd: ROOT });
  children.push(child);
  return child;
}

describe("startSimulatedAgent on loopback", () => {
  it("serves the CA API, /version (simulated), /metrics and /healthz over real HTTP", async () => {
    const clock = new ManualClock(Date.now());
    const config = agentConfigSchema.parse({ http: { port: 0 } });
    const agent = await startSimulatedAgent(config, {
      logger: createLogger({ level: "silent" }),
      clock,
      metrics: new Metrics({ defaultMetrics: false }),
    });
    try {
      assert.match(agent.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(await (await fetch(`${agent.url}/start/flow?${FLOW}`)).json(), { rc: 0, code: "EOK" });
      await clock.advance(0);
      const data = await fetch(`${agent.url}/data/flow?${FLOW}`);
      assert.equal(data.status, 200);
      assert.equal(((await data.json()) as { Path: unknown[] }).Path.length, 3);
      const version = (await (await fetch(`${agent.url}/version`)).json()) as Record<string, unknown>;
      assert.equal(version.simulated, true);
      assert.equal(version.network, "simulated fabric");
      const metrics = await (await fetch(`${agent.url}/metrics`)).text();
      assert.match(metrics, /flowlens_agent_active_flows\{kind="flow"\} 1/);
      assert.match(metrics, /flowlens_agent_rounds_total\{kind="flow",outcome="complete"\} 1/);
      assert.match(metrics, /flowlens_agent_probes_sent_total 255/);
      assert.match(metrics, /flowlens_agent_api_requests_total\{resource="data\/flow",code="EOK"\} 1/);
      assert.equal((await fetch(`${agent.url}/healthz`)).status, 200);
    } finally {
      await agent.stop();
    }
  });

  it("with a bearer token, CA requests without it are E_UNAUTHORIZED (401); operations endpoints stay open", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "s3cret\n");
    const config = agentConfigSchema.parse({ http: { port: 0 }, auth: { "token-file": tokenFile } });
    const agent = await startSimulatedAgent(config, {
      logger: createLogger({ level: "silent" }),
      clock: new ManualClock(),
      metrics: new Metrics({ defaultMetrics: false }),
    });
    try {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: "Bearer wrong" },
        { authorization: "Basic czNjcmV0" },
      ];
      for (const headers of attempts) {
        const res = await fetch(`${agent.url}/active/flow`, { headers });
        assert.equal(res.status, 401);
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="flowlens-agent"');
        assert.deepEqual(((await res.json()) as { rc: number }).rc, 3);
      }
      const ok = await fetch(`${agent.url}/active/flow`, { headers: { authorization: "bearer s3cret" } });
      assert.deepEqual(await ok.json(), { flows: [] });
      assert.equal((await fetch(`${agent.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${agent.url}/version`)).status, 200);
    } finally {
      await agent.stop();
    }
  });

  it("the embedded default configuration: 127.0.0.1:8080, simulated, list/flow from the network", () => {
    const config = loadConfig({ schema: agentConfigSchema, text: defaultAgentConfigText() });
    assert.deepEqual(config.http, { host: "127.0.0.1", port: 8080 });
    assert.equal(config.network, "simulated");
    assert.equal(config["list-flow"].source, "network");
  });
});

describe("flowlens agent -c FILE", () => {
  it("--check accepts a good file and refuses a bad one with path: message lines", async () => {
    const good = join(dir, "good.yaml");
    writeFileSync(good, "http: { port: 18080 }\nlimits: { max-active-flows: 10 }\n");
    const ok = flowlens(["agent", "-c", good, "--check"]);
    assert.equal(await ok.exited, 0);
    assert.equal(ok.stdout, "configuration OK\n");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "http: { port: 99999 }\nlimits: { probes-per-second: 0, bogus: 1 }\n");
    const refused = flowlens(["agent", "-c", bad, "--check"]);
    assert.equal(await refused.exited, 1);
    assert.match(refused.stderr, /^http\.port: value must be at most 65535$/m);
    assert.match(refused.stderr, /^limits\.probes-per-second: value must be at least 1$/m);
    assert.match(refused.stderr, /^limits\.bogus: unknown key$/m);
  });

  it("--dump prints the effective configuration with defaults", async () => {
    const file = join(dir, "dump.yaml");
    writeFileSync(file, "limits: { min-sfreq: 500ms }\n");
    const dump = flowlens(["agent", "-c", file, "--dump"]);
    assert.equal(await dump.exited, 0);
    assert.match(dump.stdout, /^ {2}port: 8080$/m);
    assert.match(dump.stdout, /^ {2}min-sfreq: 500ms$/m);
    assert.match(dump.stdout, /^network: simulated$/m);
  });

  it("runs: start/flow then data/flow answer a Path of the simulated fabric; SIGTERM drains and exits 0", async () => {
    const file = join(dir, "run.yaml");
    writeFileSync(file, "log-level: warn\nhttp: { port: 0 }\n");
    const child = flowlens(["agent", "-c", file]);
    const url = await waitFor("the agent's banner", () => /CA API on (http:\/\/\S+)/.exec(child.stderr)?.[1], 20_000);
    assert.match(child.stderr, /simulated fabric; a simulation, not a network/);
    assert.deepEqual(await (await fetch(`${url}/start/flow?${FLOW}`)).json(), { rc: 0, code: "EOK" });
    const path = await waitFor("the first round's Path", async () => {
      const res = await fetch(`${url}/data/flow?${FLOW}`);
      return res.status === 200 ? ((await res.json()) as { Path: { DevName: string }[]; ID: string }) : null;
    });
    assert.equal(path?.ID, "('10.1.1.1', '10.1.7.1', 6, 4567, 9000)");
    assert.deepEqual(
      path?.Path.map((h) => h.DevName),
      ["device02-example-01", "device02-example-02", "device02-example-03"],
    );
    assert.equal(await child.stop("SIGTERM"), 0);
  });
});
