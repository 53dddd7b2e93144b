/**
 * The collector daemon killed with SIGKILL while files wait in its spool (its FTP server is down), then started again
 * with a reachable destination: every record that was flushed to disk before the kill reaches the destination exactly
 * once, nothing is duplicated and no temporary file is left behind.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { v5Datagram } from "../helpers/netflow-v5-fixture.ts";
import { type Child, startChild, waitFor } from "../helpers/processes.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DATAGRAMS = 200;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe("collector daemon: SIGKILL with files in the spool, then restart", () => {
  let dir: string;
  let child: Child | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-crash-"));
  });
  after(async () => {
    await child?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(destination: string, udp: number, admin: number): Promise<Child> {
    const cfg = join(dir, "collector.yaml");
    writeFileSync(
      cfg,
      `log-level: warn
spool-directory: ${JSON.stringify(join(dir, "spool"))}
admin: { host: 127.0.0.1, port: ${admin} }
interfaces:
  cp-1/0/0:
    listen: ["127.0.0.1:${udp}"]
    analyzer-address: 10.0.0.1
    analyzer-id: crash
    inputs: { all: { exporter: any } }
    file-specification: { maximum-records: 2500, flush-interval: 200ms, block-size: 16KiB }
    export-channels: { "0": { primary: { url: ${JSON.stringify(destination)} }, retry-delay: 1h } }
transfer-log-archive: { directory: ${JSON.stringify(join(dir, "log"))} }
`,
    );
    const c = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), "collector", "-c", cfg], { cwd: ROOT });
    await waitFor(
      "the admin API",
      () =>
        fetch(`http://127.0.0.1:${admin}/healthz`)
          .then((r) => r.ok)
          .catch(() => false),
      20_000,
    );
    return c;
  }

  it("ships every flushed record once after recovery", async () => {
    const [udp, admin, deadFtp] = [await freePort(), await freePort(), await freePort()];
    child = await run(`ftp://flow@127.0.0.1:${deadFtp}/in/`, udp, admin);
    const socket = createSocket("udp4");
    for (let d = 0; d < DATAGRAMS; d++) await new Promise((r) => socket.send(v5Datagram(d), udp, "127.0.0.1", r));
    socket.close();
    const status = async () =>
      (await (await fetch(`http://127.0.0.1:${admin}/api/v1/interfaces/all`)).json()) as {
        interfaces: {
          input: { flowRecords: { total: number } };
          throughput: { uncompressedBytes: { total: number } };
        }[];
      };
    await waitFor(
      "all records received",
      async () => (await status()).interfaces[0].input.flowRecords.total === DATAGRAMS * 30,
    );
    await new Promise((r) => setTimeout(r, 1000)); // > flush-interval: every block written
    const spool = join(dir, "spool", readdirSync(join(dir, "spool"))[0]);
    assert.ok(
      readdirSync(spool).some((f) => f.endsWith(".tmp")),
      "an active temporary file at the time of the kill",
    );
    assert.equal(await child.stop("SIGKILL"), "SIGKILL");

    const archive = join(dir, "archive");
    child = await run(`${pathToFileURL(archive).href}/`, udp, admin);
    await waitFor("the recovered files shipped", () => {
      try {
        return readdirSync(spool).filter((f) => f.includes(".bcp.bi.gz")).length === 0;
      } catch {
        return false;
      }
    });
    assert.equal(await child.stop("SIGTERM"), 0);
    child = undefined;
    const lines = readdirSync(archive)
      .filter((f) => f.endsWith(".bcp.bi.gz"))
      .flatMap((f) =>
        gunzipSync(readFileSync(join(archive, f)))
          .toString("latin1")
          .trim()
          .split("\n"),
      );
    assert.equal(lines.length, DATAGRAMS * 30);
    const sources = new Set(lines.map((l) => l.split("|")[4]));
    assert.equal(sources.size, DATAGRAMS * 30, "every record once");
  });
});
