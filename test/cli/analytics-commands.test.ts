/**
 * `flowlens show|request analytics ...` against an in-process agent on the simulated fabric (default topology, seeded
 * jitter) with a manual clock, listening on 127.0.0.1 port 0: every command's output is compared with a golden
 * transcript in test/cli/golden/analytics/ (command, stdout, stderr, exit status; `FLOWLENS_UPDATE_GOLDEN=1` rewrites
 * them). Covers abbreviations, `?`, `| display json`, `| match`, `| count`, the three levels, every start parameter,
 * Originator, the bearer token, the exit statuses of each CA return code, an unreachable agent and usage errors, and
 * the routing of the shared `show`/`request` verbs between the agent and the collector. A few runs go through the real
 * command (bin/flowlens.js) to prove the commander wiring and the process exit status.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { agentConfigSchema } from "../../src/agent/config.ts";
import { type OperationalRunOptions, runOperationalCommand } from "../../src/cli/analytics/verb-dispatch.ts";
import { type RunningSimulatedAgent, startSimulatedAgent } from "../../src/cli/daemon/sim-agent.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { ManualClock } from "../agent/fakes.ts";
import { type FlowlensRun, runFlowlens } from "../helpers/flowlens-process.ts";
import { freePort } from "../helpers/free-port.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { expectGolden } from "./golden/golden-file.ts";

const FLOW = "src 10.1.1.1 dst 10.1.7.1 proto tcp sport 4567 dport 9000";
const TUNNEL_ID = "src 10.1.1.1 dst 10.1.7.1 vnid 5 appsrc 10.1.2.3 appdst 10.1.2.5";
const TUNNEL_START = `${TUNNEL_ID} sport 4567 appsmac 9c:8e:99:12:88:2e appdmac 44:1e:a1:02:25:c0`;

interface Transcript {
  exitCode: number;
  text: string;
}

/** Ports of test servers vary from run to run; goldens say PORT (the documented defaults 8080 and 8082 stay). */
function normalise(text: string): string {
  return text.replace(/127\.0\.0\.1:(?!8080\b|8082\b)\d+/g, "127.0.0.1:PORT");
}

/** What a transcript shows of the options (the test agent's own `--agent` is left out; secrets never are shown). */
function shownOptions(options: OperationalRunOptions): { env: string[]; flags: string[] } {
  const flags: string[] = [];
  if (options.agent !== undefined) flags.push("--agent", options.agent);
  if (options.tokenFile !== undefined) flags.push("--token-file", "TOKEN-FILE");
  if (options.caFile !== undefined) flags.push("--ca-file", "CA-FILE");
  if (options.admin !== undefined) flags.push("--admin", options.admin);
  const env = Object.keys(options.env ?? {}).map((k) => `${k}=...`);
  return { env, flags };
}

function shellWord(w: string): string {
  return /^[\w./:,=@-]+$/.test(w) ? w : `'${w}'`;
}

/** Splits a command line at spaces, keeping quoted pieces ('| match a b') whole. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

let agent: RunningSimulatedAgent;
let clock: ManualClock;
let dir: string;

/** Runs `verb line` in process against the test agent (or `options`), and renders the transcript. */
async function run(verb: string, line: string, options: OperationalRunOptions = {}): Promise<Transcript> {
  const argv = words(line);
  const r = await runOperationalCommand(verb, argv, { agent: agent.url, env: {}, ...options });
  const { env, flags } = shownOptions(options);
  const command = `$ ${[...env, "flowlens", ...[verb, ...argv, ...flags].map(shellWord)].join(" ")}`;
  const text = [command, ...r.stdout, ...r.stderr, `[exit ${r.exitCode}]`, ""].join("\n");
  return { exitCode: r.exitCode, text: normalise(text) };
}

/** Runs and compares with `analytics/<name>.txt`; returns the exit status. */
async function golden(
  t: TestContext,
  name: string,
  verb: string,
  line: string,
  options?: OperationalRunOptions,
): Promise<number> {
  const r = await run(verb, line, options);
  expectGolden(t, `analytics/${name}.txt`, r.text);
  return r.exitCode;
}

/** The real command as a child process, no agent from the environment (the test agent answers from this process). */
const flowlens = (args: string[]): Promise<FlowlensRun> =>
  runFlowlens(args, { FLOWLENS_AGENT: "", FLOWLENS_AGENT_TOKEN: "", FLOWLENS_AGENT_TOKEN_FILE: "" });

async function startAgent(config: Record<string, unknown> = {}): Promise<RunningSimulatedAgent> {
  return startSimulatedAgent(agentConfigSchema.parse({ http: { port: 0 }, ...config }), {
    logger: createLogger({ level: "silent" }),
    clock,
    metrics: new Metrics({ defaultMetrics: false }),
  });
}

before(async () => {
  clock = new ManualClock(Date.UTC(2015, 8, 17, 18, 0, 0));
  dir = mkdtempSync(join(tmpdir(), "flowlens-analytics-"));
  agent = await startAgent();
});
after(async () => {
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

// The tests run in order: the traces they start and the manual clock carry over (that is what makes outputs repeat).
describe("help and syntax", () => {
  it("? lists completions at every level, without asking the agent", async (t) => {
    assert.equal(await golden(t, "help-show", "show", "?"), 0);
    assert.equal(await golden(t, "help-show-analytics", "show", "analytics ?"), 0);
    assert.equal(await golden(t, "help-request-analytics", "request", "an ?"), 0);
    assert.equal(await golden(t, "help-start-flow", "request", "analytics start-flow ?"), 0);
    assert.equal(await golden(t, "help-start-tunnel", "request", "analytics start-tunnel ?"), 0);
    assert.equal(await golden(t, "help-proto-value", "request", "analytics start-flow src 10.1.1.1 proto ?"), 0);
    assert.equal(await golden(t, "help-prefix", "show", "analytics flow-path src 10.1.1.1 dst 10.1.7.1 d?"), 0);
    assert.equal(await golden(t, "help-pipe", "show", "analytics flows '| ?'"), 0);
    // An unreachable agent does not matter for help.
    const r = await run("show", "analytics ?", { agent: "http://127.0.0.1:1" });
    assert.equal(r.exitCode, 0);
  });

  it("syntax errors exit 2 and name the choices", async (t) => {
    assert.equal(await golden(t, "error-ambiguous", "show", "analytics flow"), 2);
    assert.equal(await golden(t, "error-missing-src", "request", "analytics start-flow dst 10.1.7.1"), 2);
    assert.equal(await golden(t, "error-unknown-word", "show", "analytics flows sideways"), 2);
    assert.equal(await golden(t, "error-incomplete", "show", ""), 2);
    assert.equal(await golden(t, "error-bad-agent-url", "show", "analytics flows", { agent: "ftp://x" }), 2);
    const missing = join(dir, "no-such-token");
    const r = await run("show", "analytics flows", { tokenFile: missing });
    assert.equal(r.exitCode, 2);
    assert.match(r.text, /flowlens: --token-file: cannot read secret file .*no-such-token \(ENOENT\)/);
  });
});

describe("flows and flow paths", () => {
  it("show analytics flows before any trace", async (t) => {
    assert.equal(await golden(t, "show-flows-terse", "show", "analytics flows"), 0);
  });

  it("start-flow with every collection parameter, then flow-path before the first round is EFAIL (12)", async (t) => {
    const params = "sfreq 1 nhops 16 ntry 2 timeout 500 chksum true bw-ingress true";
    const mirror = "mirror-type ERSPAN mirror-dir ingress mirror-analyzer 10.2.1.1";
    assert.equal(await golden(t, "start-flow", "request", `analytics start-flow ${FLOW} ${params} ${mirror}`), 0);
    assert.equal(await golden(t, "flow-path-no-data", "show", `analytics flow-path ${FLOW}`), 12);
    await clock.advance(0);
    await clock.advance(1000);
  });

  it("show analytics flow-path: terse (abbreviated), detail, extensive", async (t) => {
    const abbreviated = "an flow-p sr 10.1.1.1 ds 10.1.7.1 pr tcp sp 4567 dp 9000";
    assert.equal(await golden(t, "flow-path-terse", "show", abbreviated), 0);
    assert.equal(await golden(t, "flow-path-detail", "show", `analytics flow-path ${FLOW} detail`), 0);
    assert.equal(await golden(t, "flow-path-extensive", "show", `analytics flow-path ${FLOW} ext`), 0);
  });

  it("pipes: | display json (the Path object itself), | match, | count", async (t) => {
    const json = await run("show", `analytics flow-path ${FLOW} '| display json'`);
    assert.equal(json.exitCode, 0);
    const body = JSON.parse(json.text.split("\n").slice(1, -2).join("\n"));
    const direct = await fetch(`${agent.url}/data/flow?${new URLSearchParams(FLOW.split(" ").reduce(pairs, {}))}`);
    assert.deepEqual(body, await direct.json());
    expectGolden(t, "analytics/flow-path-json.txt", json.text);
    assert.equal(await golden(t, "flow-path-match", "show", `analytics flow-path ${FLOW} detail '| match Hop|\\*'`), 0);
    assert.equal(
      await golden(t, "flow-path-count", "show", `analytics flow-path ${FLOW} extensive '| match pps' '| count'`),
      0,
    );
    assert.equal(await golden(t, "flow-path-except", "show", `analytics flow-path ${FLOW} '|' except ^Hop`), 0);
  });

  it("show analytics flows: terse, detail, extensive, active, display json", async (t) => {
    assert.equal(await golden(t, "show-flows-traced", "show", "analytics flows"), 0);
    assert.equal(await golden(t, "show-flows-detail", "show", "analytics flows detail"), 0);
    assert.equal(await golden(t, "show-flows-extensive", "show", "analytics flows extensive"), 0);
    assert.equal(await golden(t, "show-flows-active", "show", "an flows act"), 0);
    assert.equal(await golden(t, "show-flows-json", "show", "analytics flows '| display json'"), 0);
  });
});

describe("tunnels", () => {
  it("start-tunnel, tunnel-path at three levels, stop-tunnel", async (t) => {
    assert.equal(await golden(t, "start-tunnel", "request", `analytics start-tunnel ${TUNNEL_START} dport 9000`), 0);
    await clock.advance(0);
    assert.equal(await golden(t, "tunnel-path-terse", "show", `analytics tunnel-path ${TUNNEL_ID}`), 0);
    assert.equal(await golden(t, "tunnel-path-detail", "show", `an tu ${TUNNEL_ID} sport 4567 det`), 0);
    await clock.advance(1000);
    assert.equal(await golden(t, "tunnel-path-extensive", "show", `analytics tunnel-path ${TUNNEL_ID} extensive`), 0);
    assert.equal(await golden(t, "stop-tunnel", "request", `analytics stop-tunnel ${TUNNEL_ID}`), 0);
    assert.equal(await golden(t, "tunnel-path-stopped", "show", `analytics tunnel-path ${TUNNEL_ID}`), 14);
  });
});

describe("CA return codes as exit statuses", () => {
  it("EAGAIN (11): a second change while one is pending", async (t) => {
    assert.equal(await golden(t, "modify-flow", "request", `analytics start-flow ${FLOW} sfreq 2`), 0);
    assert.equal(await golden(t, "modify-flow-pending", "request", `analytics start-flow ${FLOW} nhops 8`), 11);
    await clock.advance(1000);
  });

  it("EFAIL (12): a bad value, named by the agent; | display json prints the envelope", async (t) => {
    assert.equal(
      await golden(t, "start-flow-bad-address", "request", "analytics start-flow src 10.1.1 dst 10.1.7.1"),
      12,
    );
    assert.equal(
      await golden(
        t,
        "start-flow-bad-mirror",
        "request",
        `analytics start-flow ${FLOW} mirror-dir ingress '| display json'`,
      ),
      12,
    );
  });

  it("E_UNAUTHORIZED (13): a trace owned by another Originator", async (t) => {
    const other = "src 10.1.3.1 dst 10.1.8.1 proto tcp sport 51234 dport 443";
    assert.equal(
      await golden(t, "start-flow-originator", "request", `analytics start-flow ${other} originator ops`),
      0,
    );
    await clock.advance(0);
    assert.equal(await golden(t, "flow-path-wrong-originator", "show", `analytics flow-path ${other}`), 13);
    assert.equal(await golden(t, "flow-path-originator", "show", `analytics flow-path ${other} originator ops`), 0);
    assert.equal(await golden(t, "show-flows-originator", "show", "analytics flows originator ops"), 0);
    // `originator all` (GET /api/v1/traces): ops's flow and the one started without originator, with their owners.
    assert.equal(await golden(t, "show-flows-all", "show", "analytics flows originator all"), 0);
    assert.equal(await golden(t, "show-flows-all-detail", "show", "an flows or all det"), 0);
    assert.equal(
      await golden(t, "show-flows-all-extensive", "show", "analytics flows active originator all extensive"),
      0,
    );
    assert.equal(await golden(t, "show-flows-all-json", "show", "analytics flows originator all '| display json'"), 0);
    assert.equal(await golden(t, "stop-flow-originator", "request", `analytics stop-flow ${other} originator ops`), 0);
  });

  it("E_AoF (14): stop-flow of a flow that is not traced", async (t) => {
    assert.equal(await golden(t, "stop-flow", "request", `analytics stop-flow ${FLOW}`), 0);
    assert.equal(await golden(t, "stop-flow-again", "request", `analytics stop-flow ${FLOW}`), 14);
  });

  it("an unreachable agent exits 3; an address that is not a CA API exits 1", async (t) => {
    const port = await freePort();
    assert.equal(await golden(t, "unreachable", "show", "analytics flows", { agent: `http://127.0.0.1:${port}` }), 3);
    assert.equal(await golden(t, "not-an-agent", "show", "analytics flows", { agent: `${agent.url}/nowhere` }), 1);
  });
});

describe("bearer token", () => {
  let secured: RunningSimulatedAgent;
  let tokenFile: string;
  before(async () => {
    tokenFile = join(dir, "agent.token");
    writeFileSync(tokenFile, "s3cret-token\n");
    secured = await startAgent({ auth: { "token-file": tokenFile } });
  });
  after(() => secured.stop());

  it("without the token E_UNAUTHORIZED (13); with --token-file or FLOWLENS_AGENT_TOKEN the answer", async (t) => {
    assert.equal(await golden(t, "token-missing", "show", "analytics flows active", { agent: secured.url }), 13);
    const withFile = await run("show", "analytics flows active", { agent: secured.url, tokenFile });
    assert.equal(withFile.exitCode, 0, withFile.text);
    const withEnv = await run("show", "analytics flows active", {
      agent: secured.url,
      env: { FLOWLENS_AGENT_TOKEN: "s3cret-token" },
    });
    const output = (r: Transcript) => r.text.split("\n").slice(1).join("\n");
    assert.equal(output(withEnv), output(withFile));
    assert.match(output(withFile), /^Flows seen: \d+\n/);
    const wrong = await run("show", "analytics flows", { agent: secured.url, env: { FLOWLENS_AGENT_TOKEN: "nope" } });
    assert.equal(wrong.exitCode, 13);
    assert.doesNotMatch(wrong.text, /s3cret/);
  });
});

describe("an https agent with a private certificate", { skip: needsProgram("openssl") }, () => {
  it("--ca-file trusts it; without it the certificate is refused (unreachable, 3)", async (t) => {
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    const r = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"].concat([
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ]),
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const tls = await startAgent({ tls: { "cert-file": cert, "key-file": key } });
    try {
      assert.match(tls.url, /^https:/);
      const trusted = await run("show", "analytics flows active", { agent: tls.url, caFile: cert });
      assert.equal(trusted.exitCode, 0, trusted.text);
      assert.match(trusted.text, /\nFlows seen: \d+\n/);
      const viaEnv = await run("show", "analytics flows active", {
        agent: tls.url,
        env: { FLOWLENS_AGENT_CA_FILE: cert },
      });
      assert.equal(viaEnv.exitCode, 0, viaEnv.text);
      assert.equal(await golden(t, "tls-untrusted", "show", "analytics flows", { agent: tls.url }), 3);
    } finally {
      await tls.stop();
    }
  });
});

describe("the shared verbs", () => {
  it("route 'services' to the collector's commands (their own exit status 3 and message)", async (t) => {
    const port = await freePort();
    const admin = `http://127.0.0.1:${port}`;
    assert.equal(await golden(t, "collector-routed", "show", "ser flow int all", { admin }), 3);
  });

  it("through the real command: abbreviated verb, --agent, process exit status", async () => {
    let r = await flowlens(["sh", "an", "flows", "--agent", agent.url]);
    assert.equal(r.status, 0, r.stderr);
    const inProcess = await run("show", "analytics flows");
    assert.equal(`$ flowlens show analytics flows\n${normalise(r.stdout)}[exit 0]\n`, inProcess.text);
    r = await flowlens(["request", "analytics", "stop-flow", ...words(FLOW), "--agent", agent.url]);
    assert.equal(r.status, 14);
    assert.equal(r.stderr, "flowlens: E_AoF: no such flow\n");
    r = await flowlens(["show", "?"]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^ {2}analytics +Flow path analytics/m);
    assert.match(r.stdout, /^ {2}services +Service information/m);
  });
});

describe("a flow whose ECMP choice is a LAG member link", () => {
  it("shows the member link with its LAG and ECMP group, marked in detail", async (t) => {
    const lag = "src 10.1.1.1 dst 10.1.7.1 proto tcp sport 4561 dport 9000";
    assert.equal(await golden(t, "lag-start-flow", "request", `analytics start-flow ${lag}`), 0);
    await clock.advance(0);
    assert.equal(await golden(t, "lag-flow-path-terse", "show", `analytics flow-path ${lag}`), 0);
    assert.equal(
      await golden(
        t,
        "lag-flow-path-detail",
        "show",
        `analytics flow-path ${lag} detail '| match ^Hop|Egress|LAG|\\*'`,
      ),
      0,
    );
    assert.equal(await golden(t, "lag-stop-flow", "request", `analytics stop-flow ${lag}`), 0);
  });
});

function pairs(acc: Record<string, string>, word: string, i: number, all: string[]): Record<string, string> {
  if (i % 2 === 0) acc[word] = all[i + 1]!;
  return acc;
}
