import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { inspect } from "node:util";
import { createDestination, DestinationUrlError } from "../../src/collector/shipping/destination.ts";
import { displayUrl } from "../../src/collector/shipping/transfer-result.ts";
import { Secret } from "../../src/runtime/secret.ts";
import { freePort, needsVsftpd, VsftpdServer } from "./vsftpd-server.ts";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "flowlens-destination-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function localFile(name: string, size: number): Promise<string> {
  const path = join(root, name);
  await writeFile(path, Buffer.from(Array.from({ length: size }, (_, i) => i % 251)));
  return path;
}

describe("destination URLs", () => {
  it("never shows a password", () => {
    assert.equal(displayUrl("ftp://flow:secret@127.0.0.1:2121/in/"), "ftp://flow@127.0.0.1:2121/in/");
    assert.equal(displayUrl("ftp://flow@127.0.0.1/in/"), "ftp://flow@127.0.0.1/in/");
    const d = createDestination({
      url: "ftp://flow@127.0.0.1:2121/in/",
      "password-env": new Secret("s3cr3t-pw", { kind: "env", name: "FTP_PW" }),
    });
    assert.equal(d.url, "ftp://flow@127.0.0.1:2121/in/");
    assert.doesNotMatch(inspect(d, { depth: 5, showHidden: true }), /s3cr3t-pw/);
    assert.doesNotMatch(JSON.stringify(d), /s3cr3t-pw/);
  });

  it("rejects schemes other than ftp and file", () => {
    assert.throws(
      () => createDestination({ url: "sftp://h/x/" }),
      (e: unknown) => {
        assert.ok(e instanceof DestinationUrlError);
        assert.equal(e.code, "ERR_DESTINATION_URL");
        return true;
      },
    );
    assert.throws(() => createDestination({ url: "not a url" }), DestinationUrlError);
  });
});

describe("file:// destination", () => {
  it("copies under a temporary name, checks the size and renames (rc 250)", async () => {
    const src = await localFile("f1.bin", 70_000);
    const dir = join(root, "archive", "deep");
    const d = createDestination({ url: pathToFileURL(`${dir}/`).href });
    const r = await d.upload(src, "cFlowd-1.bcp.bi.gz");
    assert.equal(r.ok, true);
    assert.equal(r.code, 250);
    assert.equal(r.message, "");
    assert.equal(r.bytes, 70_000);
    assert.deepEqual(await readdir(dir), ["cFlowd-1.bcp.bi.gz"]);
    assert.deepEqual(await readFile(join(dir, "cFlowd-1.bcp.bi.gz")), await readFile(src));
    const again = await d.upload(src, "cFlowd-1.bcp.bi.gz");
    assert.equal(again.ok, true, "an existing file of that name is replaced");
  });

  it("fails with rc 550 and the system error, leaving nothing behind", async () => {
    const blocker = join(root, "blocker");
    await writeFile(blocker, "a file where the directory should be");
    const d = createDestination({ url: pathToFileURL(`${blocker}/sub/`).href });
    const r = await d.upload(await localFile("f2.bin", 10), "x");
    assert.equal(r.ok, false);
    assert.equal(r.code, 550);
    assert.match(r.message, /^ENOTDIR|^EEXIST/);
    const missing = await createDestination({ url: pathToFileURL(`${root}/a2/`).href }).upload(join(root, "nope"), "y");
    assert.deepEqual([missing.ok, missing.code], [false, 550]);
    assert.match(missing.message, /^ENOENT/);
    assert.equal(existsSync(join(root, "a2", "y.part")), false);
  });

  it("ends an aborted attempt with rc 0", async () => {
    const d = createDestination({ url: pathToFileURL(`${root}/a3/`).href });
    const r = await d.upload(await localFile("f3.bin", 10), "z", AbortSignal.abort());
    assert.deepEqual([r.ok, r.code, r.message], [false, 0, "aborted"]);
  });
});

describe("ftp:// destination against vsftpd", { skip: needsVsftpd() }, () => {
  let base: string;
  let server: VsftpdServer;
  let silent: Server;
  const sockets = new Set<Socket>();

  before(async () => {
    base = await mkdtemp(join(tmpdir(), "flowlens-vsftpd-"));
    server = await VsftpdServer.create(join(base, "server"));
    silent = createServer((s) => sockets.add(s)); // accepts, never greets
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    await server?.stop();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await rm(base, { recursive: true, force: true });
  });

  const url = (path: string) => `ftp://anonymous@127.0.0.1:${server.port}${path}`;

  it("uploads under <name>.part, checks SIZE, renames: rc 250, directories created", async () => {
    const src = await localFile("ftp1.bin", 200_000);
    const d = createDestination(
      { url: url("/in/flows/cp-6_0_0/"), "password-env": new Secret("guest", { kind: "env", name: "PW" }) },
      { timeoutMs: 5000 },
    );
    assert.equal(d.url, url("/in/flows/cp-6_0_0/"));
    const r = await d.upload(src, "cFlowd-py69Ni69-0-20040227_230438-at_4_0_0_4_3.bcp.bi.gz");
    assert.deepEqual([r.ok, r.code, r.message, r.bytes], [true, 250, "", 200_000]);
    assert.ok(r.ms >= 0);
    const dir = join(server.uploadDir, "flows", "cp-6_0_0");
    assert.deepEqual(await readdir(dir), ["cFlowd-py69Ni69-0-20040227_230438-at_4_0_0_4_3.bcp.bi.gz"]);
    assert.deepEqual(
      await readFile(join(dir, "cFlowd-py69Ni69-0-20040227_230438-at_4_0_0_4_3.bcp.bi.gz")),
      await readFile(src),
    );
    const small = await localFile("ftp1b.bin", 5);
    const replaced = await d.upload(small, "cFlowd-py69Ni69-0-20040227_230438-at_4_0_0_4_3.bcp.bi.gz");
    assert.equal(replaced.ok, true);
    assert.equal((await readFile(join(dir, "cFlowd-py69Ni69-0-20040227_230438-at_4_0_0_4_3.bcp.bi.gz"))).length, 5);
  });

  it("records the server's reply code and text when the server refuses", async () => {
    const d = createDestination({ url: url("/") }, { timeoutMs: 5000 }); // the chroot root is not writable
    const r = await d.upload(await localFile("ftp2.bin", 10), "denied");
    assert.equal(r.ok, false);
    assert.equal(r.code, 553);
    assert.equal(r.message, "Could not create file.");
  });

  it("records rc 0 and the socket error when nothing listens", async () => {
    const port = await freePort();
    const d = createDestination({ url: `ftp://anonymous@127.0.0.1:${port}/in/` }, { timeoutMs: 5000 });
    const r = await d.upload(await localFile("ftp3.bin", 10), "x");
    assert.deepEqual([r.ok, r.code], [false, 0]);
    assert.match(r.message, /ECONNREFUSED/);
  });

  it("times out on a server that never answers, and stops at once when aborted", async () => {
    const { port } = silent.address() as { port: number };
    const d = createDestination({ url: `ftp://anonymous@127.0.0.1:${port}/in/` }, { timeoutMs: 200 });
    const r = await d.upload(await localFile("ftp4.bin", 10), "x");
    assert.deepEqual([r.ok, r.code], [false, 0]);
    assert.match(r.message, /Timeout/);
    const slow = createDestination({ url: `ftp://anonymous@127.0.0.1:${port}/in/` }, { timeoutMs: 60_000 });
    const abort = new AbortController();
    const pending = slow.upload(await localFile("ftp5.bin", 10), "y", abort.signal);
    setTimeout(() => abort.abort(), 50);
    const aborted = await pending;
    assert.deepEqual([aborted.ok, aborted.code, aborted.message], [false, 0, "aborted"]);
  });
});
