/**
 * `flowlens show|clear|request services flow-collector ...` end to end: the real command (bin/flowlens.js) as a child
 * process against the admin API served over a fake CollectorControl on 127.0.0.1 (port 0): the spec's layouts on
 * stdout, abbreviations, pipes, the spec's request messages, and the exit statuses (0, 1, 2, 3).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCollectorCommand } from "../../src/cli/collector/run-command.ts";
import { registerAdminRoutes } from "../../src/collector/admin/admin-routes.ts";
import { createHttpServer, type HttpServer } from "../../src/runtime/http.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { FakeCollectorControl } from "../helpers/fake-collector-control.ts";
import { type FlowlensRun, runFlowlens } from "../helpers/flowlens-process.ts";
import { freePort } from "../helpers/free-port.ts";

/** Runs the real command with no FLOWLENS_ADMIN but what `env` sets (the server answers from this process). */
const flowlens = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<FlowlensRun> =>
  runFlowlens(args, { FLOWLENS_ADMIN: "", ...env });

let control: FakeCollectorControl;
let server: HttpServer;
let admin: string;

before(async () => {
  control = new FakeCollectorControl();
  server = createHttpServer({ name: "collector", metrics: new Metrics({ defaultMetrics: false }) });
  registerAdminRoutes(server, control);
  admin = (await server.listen()).url;
});
after(() => server.close());

const show = (...words: string[]) => flowlens(["show", "--admin", admin, ...words]);

describe("flowlens show services flow-collector", () => {
  it("prints the spec's extensive layout", async () => {
    const r = await show("services", "flow-collector", "interface", "cp-6/0/0", "extensive");
    assert.equal(r.stderr, "");
    assert.equal(r.status, 0);
    const lines = r.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 5), [
      "Flow collector interface: cp-6/0/0",
      "  Interface state: Collecting flows",
      "  Memory:",
      "    Used: 19593212, Free: 479528656",
      "  Input:",
    ]);
    assert.ok(lines.includes("    Bytes: 9647752, per second: 12655, peak per second: 14311"));
    assert.ok(lines.includes("    No memory: 0, Not IP: 0"));
    assert.equal(r.stdout.split("Export channel:").length, 3);
    assert.ok(r.stdout.endsWith("    Primary server state: OK, Secondary server state: OK\n"));
  });

  it("takes abbreviations of the verb and of every keyword (sh ser flow int all det)", async () => {
    const r = await flowlens(["sh", "ser", "flow", "int", "all", "det", "--admin", admin]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      `Flow collector interface: cp-6/0/0
  Interface state: Collecting flows
   Packets      Bytes     Flows  Uncompressed  Compressed  FTP bytes  FTP files
                                        Bytes       Bytes
      6658    9647752    193782      21075152     3079713          0          0
Flow collector interface: cp-7/0/0
  Interface state: Collecting flows
   Packets      Bytes     Flows  Uncompressed  Compressed  FTP bytes  FTP files
                                        Bytes       Bytes
         0          0         0             0           0          0          0
`,
    );
  });

  it("prints the status JSON for | display json, in each quoted form", async () => {
    for (const pipe of [["|", "display", "json"], ["| display json"], ["|disp", "j"]]) {
      const r = await show("services", "flow-collector", "interface", "all", ...pipe);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { interfaces: control.interfaces() }, pipe.join(" "));
    }
  });

  it("filters with | match and | count", async () => {
    let r = await show("s", "f", "int", "cp-6/0/0", "ext", "| match ^ {4}(Bytes|Packets):");
    assert.equal(
      r.stdout,
      "    Packets: 6658, per second: 0, peak per second: 0\n    Bytes: 9647752, per second: 12655, peak per second: 14311\n",
    );
    r = await show("s", "f", "int", "cp-6/0/0", "ext", "|", "match", "per second", "|", "count");
    assert.equal(r.stdout, "Count: 13 lines\n");
  });

  it("prints the input and file tables", async () => {
    let r = await show("services", "flow-collector", "input", "interface", "cp-6/0/0", "extensive");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      "Interface             Packets          Bytes\nmo-7/1/0.0               6260        9074096\n",
    );
    r = await show("services", "flow-collector", "file", "interface", "cp-6/0/0", "terse");
    assert.equal(
      r.stdout,
      "File name                                                 Flows State\ncFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz   188365 Active\n",
    );
  });

  it("prints completions for ? without asking the collector", async () => {
    const r = await flowlens([
      "show",
      "services",
      "flow-collector",
      "interface",
      "all",
      "?",
      "--admin",
      "http://127.0.0.1:1",
    ]);
    assert.equal(r.status, 0);
    assert.match(
      r.stdout,
      /^Possible completions:\n {2}<\[Enter\]> +Execute this command\n {2}detail +Display detailed output\n/,
    );
  });
});

describe("flowlens request and clear services flow-collector", () => {
  it("change-destination: successful, then not needed (exit 1), then not configured (exit 1)", async () => {
    const words = ["services", "flow-collector", "change-destination", "interface", "cp-6/0/0", "primary"];
    let r = await flowlens(["request", "--admin", admin, ...words]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      "Flow collector interface: cp-6/0/0\n  Interface state: Collecting flows\n  Destination change successful\n",
    );
    r = await flowlens(["request", "--admin", admin, ...words]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\n {2}Destination change not needed\n$/);
    r = await flowlens(["req", "ser", "flow", "change", "sec", "int", "cp-7/0/0", "imm", "--admin", admin]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^Flow collector interface: cp-7\/0\/0\n.*\n {2}Destination not configured\n$/);
    assert.deepEqual(control.calls.at(-1), {
      method: "changeDestination",
      interfaceName: "cp-7/0/0",
      role: "secondary",
      options: { immediately: true, clearFiles: false, clearLogs: false },
    });
  });

  it("test-file-transfer: scheduled", async () => {
    const r = await flowlens([
      "request",
      ...["services", "flow-collector", "test-file-transfer", "test_file", "interface", "cp-6/0/0"],
      ...["channel-one", "primary", "--admin", admin],
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      "Flow collector interface: cp-6/0/0\n  Interface state: Collecting flows\n  Response: Test file transfer successfully scheduled\n",
    );
  });

  it("clear statistics interface all: one answer per interface, figures zeroed", async () => {
    const r = await flowlens([
      "clear",
      "services",
      "flow-collector",
      "statistics",
      "interface",
      "all",
      "--admin",
      admin,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split("Statistics cleared successfully").length, 3);
    assert.equal(control.interfaces("cp-6/0/0")[0]!.input.packets.total, 0);
  });
});

describe("flowlens collector commands: failures", () => {
  it("exit 1 with the collector's one-line error for an unknown interface", async () => {
    const r = await show("services", "flow-collector", "interface", "cp-9/9/9");
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "flowlens: no such flow collector interface: cp-9/9/9\n");
  });

  it("exit 2 with one line listing the choices for a syntax error", async () => {
    const r = await show("services", "flow-collector", "in");
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "flowlens: 'in' is ambiguous (choices: input, interface)\n");
  });

  it("exit 2 for a bad --admin", async () => {
    const r = await flowlens(["show", "services", "flow-collector", "--admin", "ftp://x"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^flowlens: --admin: expected an http:\/\/ URL/);
  });

  it("exit 3 with one line when nothing listens, from --admin or FLOWLENS_ADMIN", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    let r = await flowlens(["show", "services", "flow-collector", "--admin", url]);
    assert.equal(r.status, 3);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `flowlens: cannot reach the collector at ${url} (is it running?)\n`);
    r = await flowlens(["clear", "services", "flow-collector", "statistics", "all"], { FLOWLENS_ADMIN: url });
    assert.equal(r.status, 3);
    assert.equal(r.stderr, `flowlens: cannot reach the collector at ${url} (is it running?)\n`);
  });

  it("FLOWLENS_ADMIN names the collector when --admin is not given", async () => {
    const r = await flowlens(["show", "services", "flow-collector", "terse"], { FLOWLENS_ADMIN: admin });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Interface +State +Packets +Bytes +Flows\ncp-6\/0\/0 +Collecting flows /);
  });

  it("runs in process too, with the same statuses", async () => {
    const ok = await runCollectorCommand("show", ["services", "flow-collector", "| count"], { admin });
    assert.deepEqual(ok, { exitCode: 0, stdout: ["Count: 10 lines"], stderr: [] });
    const down = await runCollectorCommand("show", ["s", "f"], { admin: `http://127.0.0.1:${await freePort()}` });
    assert.equal(down.exitCode, 3);
  });
});
