/**
 * The systemd units of packaging/systemd/: each one parses, carries the keys docs/operations.md promises (the flowlens
 * user, SIGHUP reload, restart on failure, the sandbox, capabilities only where needed), names files that exist in the
 * repository once installed under /opt/flowlens, starts a `flowlens` command that exists with the options it uses, and
 * pins the collector's and exporter's directories to the only writable ones (checked through `--dump`). Where
 * `systemd-analyze` is installed, `systemd-analyze verify` accepts every unit without a warning.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { needsProgram } from "../helpers/requirements.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const UNIT_DIR = join(ROOT, "packaging/systemd");
const INSTALL_ROOT = "/opt/flowlens/";

/** A unit file: each section's keys with every value given (a key may repeat). */
type Unit = Map<string, Map<string, string[]>>;

function parseUnit(text: string, name: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header !== null) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(section !== undefined && eq > 0, `${name}:${i + 1}: not a key=value line in a section: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

function value(unit: Unit, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/** What each daemon's unit must say about privileges and writable directories. */
const EXPECTED = {
  "flowlens-agent.service": { command: "agent", caps: "CAP_NET_RAW", state: undefined, logs: undefined },
  "flowlens-collector.service": {
    command: "collector",
    caps: "",
    state: "flowlens/collector",
    logs: "flowlens/collector",
  },
  "flowlens-exporter.service": { command: "exporter", caps: "", state: undefined, logs: "flowlens/exporter" },
  "flowlens-hopd.service": { command: "hopd", caps: "CAP_NET_ADMIN CAP_NET_RAW", state: undefined, logs: undefined },
} as const;

type UnitName = keyof typeof EXPECTED;

const units = new Map<UnitName, Unit>();

before(() => {
  for (const name of Object.keys(EXPECTED) as UnitName[]) {
    units.set(name, parseUnit(readFileSync(join(UNIT_DIR, name), "utf8"), name));
  }
});

function flowlens(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(ROOT, "bin/flowlens.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
}

/** The real command, without blocking the event loop (several run at once). */
function flowlensAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin/flowlens.js"), ...args],
      { cwd: ROOT, timeout: 30_000 },
      (e, stdout, stderr) =>
        resolve({ status: e === null ? 0 : typeof e.code === "number" ? e.code : null, stdout, stderr }),
    );
  });
}

describe("packaging/systemd units", () => {
  it("the directory holds exactly the four daemons' units", () => {
    assert.deepEqual(readdirSync(UNIT_DIR).sort(), Object.keys(EXPECTED).sort());
  });

  it("each runs as flowlens, reloads with SIGHUP, restarts on failure, and is sandboxed", () => {
    for (const [name, unit] of units) {
      const v = (section: string, key: string) => value(unit, section, key);
      assert.ok(v("Unit", "Description"), `${name}: Description`);
      assert.equal(v("Service", "User"), "flowlens", name);
      assert.equal(v("Service", "Group"), "flowlens", name);
      assert.equal(v("Service", "ExecReload"), "/bin/kill -HUP $MAINPID", name);
      assert.equal(v("Service", "Restart"), "on-failure", name);
      assert.equal(v("Service", "ProtectSystem"), "strict", name);
      assert.equal(v("Service", "ProtectHome"), "yes", name);
      assert.equal(v("Service", "PrivateTmp"), "yes", name);
      assert.equal(v("Service", "NoNewPrivileges"), "yes", name);
      assert.equal(v("Install", "WantedBy"), "multi-user.target", name);
      assert.equal(v("Service", "ReadWritePaths"), undefined, `${name}: writable only through State/LogsDirectory`);
      assert.equal(v("Service", "DynamicUser"), undefined, `${name}: the fixed user of packaging/sysusers.d`);
    }
  });

  it("capabilities only where needed: CAP_NET_RAW for the agent, NET_ADMIN + NET_RAW for hopd, none elsewhere", () => {
    for (const [name, unit] of units) {
      const expected = EXPECTED[name].caps;
      assert.equal(value(unit, "Service", "CapabilityBoundingSet") ?? "", expected, `${name}: bounding set`);
      assert.equal(value(unit, "Service", "AmbientCapabilities") ?? "", expected, `${name}: ambient`);
    }
  });

  it("writable directories: the collector's spool and transfer logs, the exporter's local dump, nothing else", () => {
    for (const [name, unit] of units) {
      assert.equal(value(unit, "Service", "StateDirectory"), EXPECTED[name].state, `${name}: StateDirectory`);
      assert.equal(value(unit, "Service", "LogsDirectory"), EXPECTED[name].logs, `${name}: LogsDirectory`);
      assert.equal(value(unit, "Service", "CacheDirectory"), undefined, name);
      assert.equal(value(unit, "Service", "RuntimeDirectory"), undefined, name);
    }
    const env = (name: UnitName) => units.get(name)?.get("Service")?.get("Environment") ?? [];
    assert.deepEqual(env("flowlens-collector.service").sort(), [
      "FLOWLENS_SPOOL_DIRECTORY=/var/lib/flowlens/collector",
      "FLOWLENS_TRANSFER_LOG_ARCHIVE_DIRECTORY=/var/log/flowlens/collector",
    ]);
    assert.deepEqual(env("flowlens-exporter.service"), ["FLOWLENS_TRACEOPTIONS_DIRECTORY=/var/log/flowlens/exporter"]);
  });

  it("ExecStart and ExecStartPre run files of the repository with a flowlens command that takes their options", async () => {
    const helps = new Map(
      await Promise.all(
        [...units.keys()].map(async (name) => [name, await flowlensAsync([EXPECTED[name].command, "--help"])] as const),
      ),
    );
    for (const [name, unit] of units) {
      const { command } = EXPECTED[name];
      const start = value(unit, "Service", "ExecStart")!.split(/\s+/);
      assert.deepEqual(start, [
        "/usr/bin/node",
        `${INSTALL_ROOT}bin/flowlens.js`,
        command,
        "-c",
        `/etc/flowlens/${command}.yaml`,
      ]);
      assert.equal(value(unit, "Service", "ExecStartPre"), `${start.join(" ")} --check`, name);
      assert.ok(existsSync(join(ROOT, start[1]!.slice(INSTALL_ROOT.length))), `${name}: ${start[1]} in the repository`);
      assert.equal(value(unit, "Service", "WorkingDirectory"), INSTALL_ROOT.slice(0, -1), name);
      for (const doc of (value(unit, "Unit", "Documentation") ?? "").split(/\s+/)) {
        assert.ok(doc.startsWith(`file:${INSTALL_ROOT}`), `${name}: ${doc}`);
        assert.ok(
          existsSync(join(ROOT, doc.slice(`file:${INSTALL_ROOT}`.length))),
          `${name}: ${doc} in the repository`,
        );
      }
      const help = helps.get(name)!;
      assert.equal(help.status, 0, `${name}: flowlens ${command} --help: ${help.stderr}`);
      assert.match(help.stdout, /-c, --config <file>/, `${name}: -c`);
      assert.match(help.stdout, /--check/, `${name}: --check`);
    }
  });

  it("the sysusers.d file creates the flowlens system user", () => {
    const lines = readFileSync(join(ROOT, "packaging/sysusers.d/flowlens.conf"), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^u flowlens - "[^"]+" \/var\/lib\/flowlens \/usr\/sbin\/nologin$/);
  });
});

describe("the pinned directories reach the daemons' configuration", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-units-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const envOf = (name: UnitName) =>
    Object.fromEntries(
      (units.get(name)?.get("Service")?.get("Environment") ?? []).map((e) => e.split("=", 2) as [string, string]),
    );

  it("collector --dump shows the unit's spool and transfer-log directories", () => {
    const file = join(dir, "collector.yaml");
    writeFileSync(
      file,
      [
        "interfaces:",
        "  cp-6/0/0:",
        '    listen: ["127.0.0.1:2055"]',
        "    analyzer-address: 10.10.10.1",
        "    analyzer-id: server1",
        "    inputs: { mo-7/1/0.0: { exporter: any } }",
        '    export-channels: { "0": { primary: { url: "file:///srv/flows/" } } }',
        "",
      ].join("\n"),
    );
    const r = flowlens(["collector", "-c", file, "--dump"], envOf("flowlens-collector.service"));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^spool-directory: \/var\/lib\/flowlens\/collector$/m);
    assert.match(r.stdout, /^transfer-log-archive:\n(?: {2}.*\n)*? {2}directory: \/var\/log\/flowlens\/collector$/m);
  });

  it("exporter --dump shows the unit's local-dump directory", () => {
    const file = join(dir, "exporter.yaml");
    writeFileSync(file, "");
    const r = flowlens(["exporter", "-c", file, "--dump"], envOf("flowlens-exporter.service"));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^traceoptions:\n {2}directory: \/var\/log\/flowlens\/exporter$/m);
  });
});

describe("systemd-analyze verify", { skip: needsProgram("systemd-analyze", "systemd") }, () => {
  it("accepts every unit without a warning", () => {
    for (const name of Object.keys(EXPECTED)) {
      const r = spawnSync("systemd-analyze", ["verify", "--man=no", join(UNIT_DIR, name)], {
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stderr, "", name);
    }
  });
});
