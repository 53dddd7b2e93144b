import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../src/runtime/errors.ts";
import { Lifecycle, type SignalSource } from "../../src/runtime/lifecycle.ts";
import { createLogger, type Logger } from "../../src/runtime/logger.ts";

type Line = Record<string, unknown>;

function capture(): { lines: Line[]; logger: Logger } {
  const lines: Line[] = [];
  return { lines, logger: createLogger({ destination: { write: (l: string) => void lines.push(JSON.parse(l)) } }) };
}

function fakeProcess(): { signals: SignalSource & EventEmitter; exits: number[]; exit: (code: number) => void } {
  const exits: number[] = [];
  return { signals: new EventEmitter(), exits, exit: (code) => void exits.push(code) };
}

/** Lets queued promise callbacks run until `done()` holds (bounded, so a bug fails instead of spinning). */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("Lifecycle (in process)", () => {
  it("drains hooks in reverse order, then exits 0", async () => {
    const { logger } = capture();
    const fake = fakeProcess();
    const order: string[] = [];
    const lc = new Lifecycle({ logger, signals: fake.signals, exit: fake.exit });
    lc.onDrain("first", () => void order.push("first"));
    lc.onDrain("second", async () => void order.push("second"));
    const removed = lc.onDrain("removed", () => void order.push("removed"));
    lc.onDrain("third", () => void order.push("third"));
    removed();
    assert.equal(await lc.shutdown("test"), 0);
    assert.deepEqual(order, ["third", "second", "first"]);
    assert.deepEqual(fake.exits, [0]);
  });

  it("exits 1 when a hook fails, still running the others", async () => {
    const { lines, logger } = capture();
    const fake = fakeProcess();
    const lc = new Lifecycle({ logger, signals: fake.signals, exit: fake.exit });
    const ran: string[] = [];
    lc.onDrain("files", () => void ran.push("files"));
    lc.onDrain("uploads", () => {
      throw Object.assign(new Error("ftp down"), { code: "ERR_FTP" });
    });
    assert.equal(await lc.shutdown("test"), 1);
    assert.deepEqual(ran, ["files"]);
    assert.deepEqual(fake.exits, [1]);
    const failure = lines.find((l) => l.msg === "drain hook failed");
    assert.deepEqual([failure?.hook, failure?.code, failure?.error], ["uploads", "ERR_FTP", "ftp down"]);
  });

  it("abandons a hook at the deadline and skips the hooks not yet started", async () => {
    const { lines, logger } = capture();
    const fake = fakeProcess();
    const lc = new Lifecycle({ logger, signals: fake.signals, exit: fake.exit, drainTimeoutMs: 30 });
    let lateRan = false;
    lc.onDrain("late", () => {
      lateRan = true;
    });
    lc.onDrain("stuck", () => new Promise<void>(() => {}));
    assert.equal(await lc.drain(), 1);
    assert.equal(lateRan, false);
    assert.deepEqual(
      lines.filter((l) => l.level === "error").map((l) => [l.hook, l.msg]),
      [
        ["stuck", "drain hook did not finish by the deadline"],
        ["late", "drain hook not run: drain deadline passed"],
      ],
    );
  });

  it("runs drain on SIGTERM, and a second stop signal exits 1 at once", async () => {
    const { logger } = capture();
    const fake = fakeProcess();
    const lc = new Lifecycle({ logger, signals: fake.signals, exit: fake.exit });
    let release: (() => void) | undefined;
    lc.onDrain("slow", () => new Promise<void>((resolve) => (release = resolve)));
    lc.install();
    fake.signals.emit("SIGTERM", "SIGTERM");
    fake.signals.emit("SIGINT", "SIGINT");
    assert.deepEqual(fake.exits, [1]);
    await settle(() => release !== undefined);
    release!();
    await settle(() => fake.exits.length === 2);
    assert.deepEqual(fake.exits, [1, 0]);
    lc.uninstall();
  });

  it("reloads on SIGHUP without exiting, coalescing signals that arrive during a reload", async () => {
    const { lines, logger } = capture();
    const fake = fakeProcess();
    const lc = new Lifecycle({ logger, signals: fake.signals, exit: fake.exit });
    let runs = 0;
    let release: () => void = () => {};
    lc.onReload("config", () => {
      runs++;
      if (runs === 1) return new Promise<void>((resolve) => (release = resolve));
      throw new ConfigError([{ path: "a.b", message: "expected number, received string" }]);
    });
    const logsReopened: number[] = [];
    lc.onReload("logs", () => void logsReopened.push(runs));
    lc.install();
    fake.signals.emit("SIGHUP", "SIGHUP");
    fake.signals.emit("SIGHUP", "SIGHUP");
    fake.signals.emit("SIGHUP", "SIGHUP");
    await new Promise((resolve) => setImmediate(resolve));
    release();
    assert.equal(await lc.reload(), false, "joins the reload in progress");
    assert.equal(runs, 2, "one reload, then one re-run for all the signals that arrived during it");
    assert.equal(await lc.reload(), false);
    assert.equal(runs, 3);
    assert.deepEqual(logsReopened, [1, 2, 3], "a failing hook does not stop the next one");
    assert.deepEqual(fake.exits, []);
    const failure = lines.find((l) => l.msg === "reload hook failed");
    assert.equal(failure?.code, "ERR_CONFIG");
    assert.deepEqual(failure?.issues, ["a.b: expected number, received string"]);
    lc.uninstall();
  });

  it("logs a statistics snapshot on SIGUSR1", async () => {
    const { lines, logger } = capture();
    const fake = fakeProcess();
    const lc = new Lifecycle({ logger, signals: fake.signals, exit: fake.exit });
    lc.addStatsProvider("receiver", () => ({ datagrams: 12 }));
    lc.addStatsProvider("ftp", async () => ({ uploads: 3 }));
    lc.addStatsProvider("broken", () => {
      throw new Error("no data");
    });
    lc.install();
    fake.signals.emit("SIGUSR1", "SIGUSR1");
    await settle(() => lines.some((l) => l.msg === "statistics"));
    const stats = lines.find((l) => l.msg === "statistics");
    assert.deepEqual(stats?.stats, { receiver: { datagrams: 12 }, ftp: { uploads: 3 }, broken: { error: "no data" } });
    assert.equal(stats?.component, "lifecycle");
    lc.uninstall();
  });

  it("install and uninstall leave process signal listeners as they were", () => {
    const signals = ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"] as const;
    const before = signals.map((s) => process.listenerCount(s));
    const lc = new Lifecycle({ logger: capture().logger, exit: () => {} });
    lc.install();
    lc.install();
    assert.deepEqual(
      signals.map((s) => process.listenerCount(s)),
      before.map((n) => n + 1),
    );
    lc.uninstall();
    lc.uninstall();
    assert.deepEqual(
      signals.map((s) => process.listenerCount(s)),
      before,
    );
  });
});

const FIXTURE = fileURLToPath(new URL("./fixtures/lifecycle-child.ts", import.meta.url));
/** Safety net so a broken child fails the test instead of hanging it; not a speed assertion. */
const WAIT_LIMIT_MS = 30_000;

/** A spawned fixture process whose stdout JSON lines can be awaited one predicate at a time, in order. */
class Child {
  readonly proc: ChildProcess;
  readonly lines: Line[] = [];
  readonly exited: Promise<number | null>;
  #cursor = 0;
  #waiters: (() => void)[] = [];
  stderr = "";

  constructor(mode: string, configFile: string) {
    this.proc = spawn(process.execPath, ["--import", "tsx", FIXTURE, mode, configFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.proc.stdout! }).on("line", (text) => {
      try {
        this.lines.push(JSON.parse(text));
      } catch {
        this.lines.push({ raw: text });
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.proc.stderr!.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => resolve(code)));
    void this.exited.then(() => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** The next line (after those already consumed) matching `pred`. */
  async next(pred: (l: Line) => boolean, what: string): Promise<Line> {
    const limit = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      while (this.#cursor < this.lines.length) {
        const line = this.lines[this.#cursor++]!;
        if (pred(line)) return line;
      }
      if (this.proc.exitCode !== null || this.proc.signalCode !== null || Date.now() > limit) {
        assert.fail(`no line for "${what}"; lines: ${JSON.stringify(this.lines)}; stderr: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.proc.pid!, sig);
  }
}

describe("Lifecycle (child process and real signals)", () => {
  let dir = "";
  const children: Child[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "flowlens-lifecycle-"));
  });
  after(async () => {
    for (const c of children) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    }
    await Promise.all(children.map((c) => c.exited));
    await rm(dir, { recursive: true, force: true });
  });

  async function start(mode: string, greeting: string): Promise<{ child: Child; configFile: string }> {
    const configFile = join(dir, `${mode}.yaml`);
    await writeFile(configFile, `fixture:\n  greeting: ${greeting}\n`);
    const child = new Child(mode, configFile);
    children.push(child);
    await child.next((l) => l.msg === "ready", "ready");
    return { child, configFile };
  }

  const greetingOf = (l: Line) => (l.stats as { config: { greeting: string } }).config.greeting;

  it("SIGUSR1 logs statistics, SIGHUP reloads (keeping the old config when the new one is bad), SIGTERM drains and exits 0", async () => {
    const { child, configFile } = await start("ok", "hello");
    child.signal("SIGUSR1");
    assert.equal(greetingOf(await child.next((l) => l.msg === "statistics", "statistics")), "hello");

    await writeFile(configFile, "fixture:\n  greeting: 5\n  colour: blue\n");
    child.signal("SIGHUP");
    const failure = await child.next((l) => l.msg === "reload hook failed", "reload failure");
    assert.equal(failure.code, "ERR_CONFIG");
    assert.deepEqual(failure.issues, [
      "fixture.greeting: expected string, received number",
      "fixture.colour: unknown key",
    ]);
    await child.next((l) => l.component === "lifecycle" && l.ok === false, "reload outcome");
    child.signal("SIGUSR1");
    assert.equal(greetingOf(await child.next((l) => l.msg === "statistics", "statistics")), "hello");

    await writeFile(configFile, "fixture:\n  greeting: goodbye\n");
    child.signal("SIGHUP");
    await child.next((l) => l.msg === "reload complete", "reload complete");
    child.signal("SIGUSR1");
    assert.equal(greetingOf(await child.next((l) => l.msg === "statistics", "statistics")), "goodbye");

    child.signal("SIGTERM");
    const first = await child.next((l) => l.msg === "drained", "first drained");
    const second = await child.next((l) => l.msg === "drained", "second drained");
    assert.deepEqual([first.hook, second.hook], ["uploads", "timer"]);
    assert.equal((await child.next((l) => l.msg === "shutdown complete", "shutdown")).exitCode, 0);
    assert.equal(await child.exited, 0);
  });

  it("exits 1 after SIGTERM when a drain hook fails, still running the other hooks", async () => {
    const { child } = await start("fail", "hi");
    child.signal("SIGTERM");
    const failure = await child.next((l) => l.msg === "drain hook failed", "hook failure");
    assert.deepEqual([failure.hook, failure.code], ["uploads", "ERR_FTP_UPLOAD"]);
    assert.equal((await child.next((l) => l.msg === "drained", "timer drained")).hook, "timer");
    assert.equal(await child.exited, 1);
  });

  it("exits 1 after SIGINT when a drain hook outlives the drain deadline", async () => {
    const { child } = await start("hang", "hi");
    child.signal("SIGINT");
    const timeout = await child.next((l) => l.code === "ERR_HOOK_TIMEOUT", "hook timeout");
    assert.equal(timeout.hook, "uploads");
    assert.equal(await child.exited, 1);
  });
});
