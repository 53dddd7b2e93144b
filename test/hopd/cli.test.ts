/**
 * `flowlens hopd` options: flags over the file, the token requirement, `--check` and `--dump` (secrets redacted),
 * configuration errors as `path: message` lines.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { hopdSource, tokenOf } from "../../src/cli/hopd/register.ts";
import { ConfigError, loadConfig } from "../../src/runtime/index.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "flowlens-hopd-cli-"));
const tokenFile = join(dir, "token");
writeFileSync(tokenFile, "abc\n");

function flowlens(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, "bin/flowlens.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, FLOWLENS_FROM_SOURCE: "1" },
    timeout: 30_000,
  });
}

describe("flowlens hopd configuration", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("the lab's command line: flags alone make a valid configuration", () => {
    const config = loadConfig(hopdSource({ host: "10.255.1.1", port: "9090", tokenFile }, {}));
    assert.deepEqual(config.http, { host: "10.255.1.1", port: 9090 });
    assert.equal(tokenOf(config), "abc");
    assert.equal(config.counters["nft-table"], "flowlens_hopd");
    assert.equal(config.mirror["max-frame"], 1464);
  });

  test("flags override the file; auth: none is explicit; no auth is undefined (refused by the command)", () => {
    const file = join(dir, "hopd.yaml");
    writeFileSync(file, "http: { host: 10.0.0.1, port: 9999 }\nauth: none\ndevice: { name: edge1 }\n");
    const fromFile = loadConfig(hopdSource({ config: file }, {}));
    assert.equal(fromFile.http.port, 9999);
    assert.equal(tokenOf(fromFile), null);
    const flagged = loadConfig(hopdSource({ config: file, port: "9091", tokenFile }, {}));
    assert.deepEqual(flagged.http, { host: "10.0.0.1", port: 9091 });
    assert.equal(tokenOf(flagged), "abc");
    assert.equal(flagged.device.name, "edge1");
    assert.equal(tokenOf(loadConfig(hopdSource({}, {}))), undefined);
    assert.throws(() => hopdSource({ port: "90x" }), /--port 90x/);
  });

  test("environment overrides and strict keys", () => {
    const env = { FLOWLENS_HTTP_PORT: "9095" };
    assert.equal(loadConfig(hopdSource({ tokenFile }, env)).http.port, 9095);
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "auth: nothing\ncounters: { nft-table: '1bad', extra: 1 }\n");
    assert.throws(
      () => loadConfig(hopdSource({ config: file }, {})),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.issues.some((i) => i.path === "auth") &&
        e.issues.some((i) => i.path === "counters.nft-table") &&
        e.issues.some((i) => i.path === "counters.extra" && i.message === "unknown key"),
    );
  });

  test("the command: --check, --dump without the token, refusal without a token", () => {
    const check = flowlens(["hopd", "--host", "10.255.1.1", "--token-file", tokenFile, "--check"]);
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout, "configuration OK\n");
    const dump = flowlens(["hopd", "--host", "10.255.1.1", "--token-file", tokenFile, "--dump"]);
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /token-file: \[redacted\]|token-file: .*token/);
    assert.doesNotMatch(dump.stdout, /abc/);
    const missing = flowlens(["hopd", "--host", "127.0.0.1", "--port", "0"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^flowlens hopd: a bearer token is required/);
  });
});
