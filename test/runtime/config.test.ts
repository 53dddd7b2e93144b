import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import YAML from "yaml";
import { z } from "zod";
import { checkConfig, dumpConfig, loadConfig } from "../../src/runtime/config.ts";
import { durationSchema } from "../../src/runtime/duration.ts";
import { envNameOf } from "../../src/runtime/env-overrides.ts";
import { ConfigError } from "../../src/runtime/errors.ts";
import { logLevelSchema } from "../../src/runtime/logger.ts";
import { ReloadableConfig } from "../../src/runtime/reloadable-config.ts";
import { REDACTED, Secret, secretEnvSchema, secretFileSchema } from "../../src/runtime/secret.ts";
import { sizeSchema } from "../../src/runtime/size.ts";

const schema = z.strictObject({
  log: z.strictObject({ level: logLevelSchema }).prefault({}),
  collector: z
    .strictObject({
      "flush-interval": durationSchema().prefault("30s"),
      "buffer-size": sizeSchema().default(4 * 1024 * 1024),
      enabled: z.boolean().default(true),
      label: z.string().optional(),
      interfaces: z
        .record(z.string(), z.strictObject({ port: z.number().int(), "max-age": durationSchema().optional() }))
        .default({}),
      servers: z
        .array(z.strictObject({ host: z.string(), "password-file": secretFileSchema().optional() }))
        .default([]),
    })
    .prefault({}),
});

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "flowlens-config-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, "ERR_CONFIG");
    assert.equal(e.message, e.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("no ConfigError thrown");
}

describe("loadConfig", () => {
  it("reads YAML and applies defaults, durations and sizes as numbers", async () => {
    const path = await file(
      "basic.yaml",
      "collector:\n  flush-interval: 2m\n  interfaces:\n    cp-6/0/0:\n      port: 2055\n",
    );
    const config = loadConfig({ schema, file: path, env: {} });
    assert.deepEqual(config, {
      log: { level: "info" },
      collector: {
        "flush-interval": 120_000,
        "buffer-size": 4 * 1024 * 1024,
        enabled: true,
        interfaces: { "cp-6/0/0": { port: 2055 } },
        servers: [],
      },
    });
  });

  it("treats no file and an empty file as all defaults", async () => {
    const empty = await file("empty.yaml", "");
    const expected = loadConfig({ schema, env: {} });
    assert.deepEqual(loadConfig({ schema, file: empty, env: {} }), expected);
    assert.equal(expected.collector["flush-interval"], 30_000);
  });

  it("applies FLOWLENS_<SECTION>_<KEY> overrides, nested keys and YAML scalars", async () => {
    const path = await file(
      "env.yaml",
      "collector:\n  interfaces:\n    cp-6/0/0:\n      port: 2055\n  servers:\n    - host: a\n",
    );
    const env = {
      FLOWLENS_COLLECTOR_FLUSH_INTERVAL: "1m",
      FLOWLENS_COLLECTOR_ENABLED: "false",
      FLOWLENS_COLLECTOR_BUFFER_SIZE: "512k",
      FLOWLENS_COLLECTOR_LABEL: "'0123'",
      FLOWLENS_COLLECTOR_INTERFACES_CP_6_0_0_PORT: "9000",
      FLOWLENS_COLLECTOR_INTERFACES_CP_6_0_0_MAX_AGE: "90s",
      FLOWLENS_COLLECTOR_SERVERS_0_HOST: "b.example",
      FLOWLENS_LOG_LEVEL: "debug",
      FLOWLENS_REQUIRE_ALL: "1",
      FLOWLENS_COLLECTOR_UNSET: "",
      UNRELATED: "x",
    };
    const config = loadConfig({ schema, file: path, env });
    assert.equal(config.collector["flush-interval"], 60_000);
    assert.equal(config.collector.enabled, false);
    assert.equal(config.collector["buffer-size"], 512 * 1024);
    assert.equal(config.collector.label, "0123");
    assert.deepEqual(config.collector.interfaces["cp-6/0/0"], { port: 9000, "max-age": 90_000 });
    assert.equal(config.collector.servers[0]!.host, "b.example");
    assert.equal(config.log.level, "debug");
    assert.equal(
      envNameOf(["collector", "interfaces", "cp-6/0/0", "port"]),
      "FLOWLENS_COLLECTOR_INTERFACES_CP_6_0_0_PORT",
    );
  });

  it("keeps a non-numeric, non-boolean override as raw text", () => {
    const s = z.strictObject({ a: z.strictObject({ b: z.string() }) });
    assert.equal(loadConfig({ schema: s, env: { FLOWLENS_A_B: "x #y: z" } }).a.b, "x #y: z");
    assert.equal(loadConfig({ schema: s, env: { FLOWLENS_A_B: "ftp://h/p" } }).a.b, "ftp://h/p");
  });

  it("reports a bad override of a known section, an ambiguous name, and the variable behind a bad value", () => {
    assert.deepEqual(
      issuesOf(() => loadConfig({ schema, env: { FLOWLENS_COLLECTOR_NOPE: "1" } })),
      ["FLOWLENS_COLLECTOR_NOPE: does not name a configuration key"],
    );
    const twin = z.strictObject({
      "a-b": z.number().optional(),
      a: z.strictObject({ b: z.number().optional() }).optional(),
    });
    assert.deepEqual(
      issuesOf(() => loadConfig({ schema: twin, env: { FLOWLENS_A_B: "1" } })),
      ["FLOWLENS_A_B: ambiguous: matches a-b and a.b"],
    );
    assert.deepEqual(
      issuesOf(() => loadConfig({ schema, env: { FLOWLENS_COLLECTOR_ENABLED: "maybe" } })),
      ["collector.enabled: expected boolean, received string (set by FLOWLENS_COLLECTOR_ENABLED)"],
    );
  });

  it("rejects unknown keys at every level, one line per key", async () => {
    const path = await file(
      "unknown.yaml",
      "colector: {}\ncollector:\n  bogus: 1\n  interfaces:\n    x:\n      port: 1\n      prot: 2\n",
    );
    assert.deepEqual(
      issuesOf(() => loadConfig({ schema, file: path, env: {} })),
      ["collector.interfaces.x.prot: unknown key", "collector.bogus: unknown key", "colector: unknown key"],
    );
  });

  it("collects every validation problem as path: message", async () => {
    const path = await file(
      "bad.yaml",
      [
        "log:",
        "  level: loud",
        "collector:",
        "  flush-interval: 30",
        "  buffer-size: 12 parsecs",
        "  interfaces:",
        "    cp-6/0/0:",
        '      port: "2055"',
        "  servers:",
        "    - {}",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      issuesOf(() => loadConfig({ schema, file: path, env: {} })),
      [
        'log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
        'collector.flush-interval: expected a duration string, e.g. "30s" or "1h30m"',
        'collector.buffer-size: invalid size "12 parsecs": expected a number and an optional unit (B, KiB, MiB, GiB, kB, MB, GB, k, m, g), e.g. "4MiB" or "512k"',
        "collector.interfaces.cp-6/0/0.port: expected number, received string",
        "collector.servers[0].host: missing (expected string)",
      ],
    );
  });

  it("locates YAML syntax errors and reports unreadable files", async () => {
    const path = await file("syntax.yaml", "collector:\n  enabled: true\n  enabled: false\n");
    const issues = issuesOf(() => loadConfig({ schema, file: path, env: {} }));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:3: .*unique`));
    const missing = join(dir, "missing.yaml");
    assert.deepEqual(
      issuesOf(() => loadConfig({ schema, file: missing, env: {} })),
      [`${missing}: cannot read configuration file (ENOENT)`],
    );
    assert.deepEqual(
      issuesOf(() => loadConfig({ schema, text: "- 1\n", env: {} })),
      ["(root): expected mapping, received list"],
    );
  });

  it("refuses a schema with a non-strict object (a programming error)", () => {
    const loose = z.strictObject({ a: z.object({ b: z.string() }) });
    assert.throws(
      () => loadConfig({ schema: loose, env: {} }),
      (e: unknown) => e instanceof TypeError && /\ba\b/.test(e.message),
    );
  });
});

describe("secrets", () => {
  const secretSchema = z.strictObject({
    ftp: z.strictObject({
      "password-file": secretFileSchema(),
      "token-env": secretEnvSchema({ FTP_TOKEN: "t0ken-value" }),
    }),
  });

  it("reads a secret file at load time and never prints it", async () => {
    const secretPath = await file("ftp.password", "s3cret-value\n");
    const config = loadConfig({
      schema: secretSchema,
      text: `ftp:\n  password-file: ${secretPath}\n  token-env: FTP_TOKEN\n`,
      env: {},
    });
    const password = config.ftp["password-file"];
    assert.ok(password instanceof Secret);
    assert.equal(password.reveal(), "s3cret-value");
    assert.equal(config.ftp["token-env"].reveal(), "t0ken-value");
    for (const shown of [JSON.stringify(config), inspect(config, { depth: 9 }), String(password), `${password}`]) {
      assert.ok(!shown.includes("s3cret") && !shown.includes("t0ken"), shown);
      assert.ok(shown.includes(REDACTED), shown);
    }
    const dump = dumpConfig({
      schema: secretSchema,
      text: `ftp:\n  password-file: ${secretPath}\n  token-env: FTP_TOKEN\n`,
      env: {},
    });
    assert.equal(dump.exitCode, 0);
    assert.ok(!dump.text.includes("s3cret") && !dump.text.includes("t0ken"), dump.text);
    assert.deepEqual(YAML.parse(dump.text), { ftp: { "password-file": secretPath, "token-env": "FTP_TOKEN" } });
  });

  it("reports a missing secret file, an empty one and an unset variable", async () => {
    const empty = await file("empty.password", "\n");
    const gone = join(dir, "gone.password");
    const issues = issuesOf(() =>
      loadConfig({ schema: secretSchema, text: `ftp:\n  password-file: ${gone}\n  token-env: NOPE\n`, env: {} }),
    );
    assert.deepEqual(issues, [
      `ftp.password-file: cannot read secret file ${gone} (ENOENT)`,
      "ftp.token-env: environment variable NOPE is not set",
    ]);
    const emptyIssues = issuesOf(() =>
      loadConfig({ schema: secretSchema, text: `ftp:\n  password-file: ${empty}\n  token-env: FTP_TOKEN\n`, env: {} }),
    );
    assert.deepEqual(emptyIssues, [`ftp.password-file: secret file ${empty} is empty`]);
  });
});

describe("--check and --dump", () => {
  it("--check prints configuration OK and exits 0, or the error lines and exits 1", async () => {
    const good = await file("good.yaml", "collector:\n  enabled: true\n");
    assert.deepEqual(checkConfig({ schema, file: good, env: {} }), {
      exitCode: 0,
      text: "configuration OK\n",
      stream: "stdout",
    });
    const bad = await file("check-bad.yaml", "collector:\n  enabled: 3\n  extra: 1\n");
    assert.deepEqual(checkConfig({ schema, file: bad, env: {} }), {
      exitCode: 1,
      text: "collector.enabled: expected boolean, received number\ncollector.extra: unknown key\n",
      stream: "stderr",
    });
  });

  it("--dump prints the effective configuration with defaults and overrides, which loads back to the same value", async () => {
    const path = await file("dump.yaml", "collector:\n  interfaces:\n    cp-6/0/0:\n      port: 2055\n");
    const env = { FLOWLENS_COLLECTOR_FLUSH_INTERVAL: "5400s" };
    const dump = dumpConfig({ schema, file: path, env });
    assert.equal(dump.exitCode, 0);
    assert.equal(dump.stream, "stdout");
    assert.deepEqual(YAML.parse(dump.text), {
      log: { level: "info" },
      collector: {
        "flush-interval": "1h30m",
        "buffer-size": "4MiB",
        enabled: true,
        interfaces: { "cp-6/0/0": { port: 2055 } },
        servers: [],
      },
    });
    assert.deepEqual(loadConfig({ schema, text: dump.text, env: {} }), loadConfig({ schema, file: path, env }));
  });

  it("--dump of an invalid configuration prints the errors and exits 1", () => {
    const dump = dumpConfig({ schema, text: "collector: 5\n", env: {} });
    assert.deepEqual(dump, { exitCode: 1, text: "collector: expected mapping, received number\n", stream: "stderr" });
  });
});

describe("ReloadableConfig", () => {
  it("swaps in a valid configuration and keeps the old one when the new one is invalid", async () => {
    const path = await file("reload.yaml", "collector:\n  flush-interval: 10s\n");
    const holder = new ReloadableConfig(() => loadConfig({ schema, file: path, env: {} }));
    const seen: number[] = [];
    const remove = holder.onChange((next) => seen.push(next.collector["flush-interval"]));
    await writeFile(path, "collector:\n  flush-interval: ten seconds\n");
    assert.throws(() => holder.reload(), ConfigError);
    assert.equal(holder.current.collector["flush-interval"], 10_000);
    await writeFile(path, "collector:\n  flush-interval: 20s\n");
    holder.reload();
    assert.equal(holder.current.collector["flush-interval"], 20_000);
    remove();
    holder.reload();
    assert.deepEqual(seen, [20_000]);
  });
});
