import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { componentLogger, createLogger, type Logger } from "../../src/runtime/logger.ts";
import { RateLimitedLog } from "../../src/runtime/rate-limited-log.ts";

/** A pino destination that keeps every line, parsed. */
function capture(): { lines: Record<string, unknown>[]; stream: { write(line: string): void } } {
  const lines: Record<string, unknown>[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

function setup(intervalMs = 1000): {
  lines: Record<string, unknown>[];
  log: RateLimitedLog;
  clock: { t: number };
  counts: Map<string, number>;
  logger: Logger;
} {
  const { lines, stream } = capture();
  const logger = componentLogger(createLogger({ name: "collector", destination: stream }), "receiver");
  const clock = { t: 0 };
  const counts = new Map<string, number>();
  const log = new RateLimitedLog(logger, {
    intervalMs,
    now: () => clock.t,
    onOccurrence: (component, code) =>
      counts.set(`${component}/${code}`, (counts.get(`${component}/${code}`) ?? 0) + 1),
  });
  return { lines, log, clock, counts, logger };
}

describe("createLogger", () => {
  it("writes JSON lines with level name, time, name and component", () => {
    const { lines, stream } = capture();
    const root = createLogger({ name: "collector", destination: stream, level: "info" });
    const child = componentLogger(root, "ftp");
    child.info({ server: "primary" }, "connected");
    child.debug("hidden at info");
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line!.level, "info");
    assert.equal(line!.msg, "connected");
    assert.equal(line!.name, "collector");
    assert.equal(line!.component, "ftp");
    assert.equal(line!.server, "primary");
    assert.equal(line!.pid, process.pid);
    assert.ok(!Number.isNaN(Date.parse(String(line!.time))));
  });

  it("logs errors by type, code and message without a stack", () => {
    const { lines, stream } = capture();
    const logger = createLogger({ destination: stream });
    const err = Object.assign(new Error("connection refused", { cause: new Error("ECONNREFUSED 127.0.0.1:21") }), {
      code: "ERR_FTP_CONNECT",
    });
    logger.error({ err }, "upload failed");
    assert.deepEqual(lines[0]!.err, {
      type: "Error",
      code: "ERR_FTP_CONNECT",
      message: "connection refused",
      cause: "ECONNREFUSED 127.0.0.1:21",
    });
    assert.ok(!JSON.stringify(lines[0]).includes("    at "));
  });

  it("changes the level of existing children when the root level changes (config reload)", () => {
    const { lines, stream } = capture();
    const root = createLogger({ destination: stream, level: "info" });
    const child = componentLogger(root, "x");
    child.debug("before");
    root.level = "debug";
    child.debug("after");
    assert.deepEqual(
      lines.map((l) => l.msg),
      ["after"],
    );
  });
});

describe("RateLimitedLog", () => {
  it("logs an identical error once per interval and reports the suppressed count on the next line", () => {
    const { lines, log, clock, counts } = setup(1000);
    log.error("ERR_NETFLOW_TRUNCATED", "datagram truncated", { source: "192.0.2.1:2055" });
    clock.t = 10;
    log.error("ERR_NETFLOW_TRUNCATED", "datagram truncated", { source: "192.0.2.1:2055" });
    clock.t = 500;
    log.error("ERR_NETFLOW_TRUNCATED", "datagram truncated", { source: "192.0.2.9:2055" });
    assert.equal(lines.length, 1);
    clock.t = 1000;
    log.error("ERR_NETFLOW_TRUNCATED", "datagram truncated", { source: "192.0.2.1:2055" });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.msg, "datagram truncated");
    assert.equal(lines[0]!.code, "ERR_NETFLOW_TRUNCATED");
    assert.equal(lines[0]!.component, "receiver");
    assert.equal(lines[0]!.repeated, undefined);
    assert.equal(lines[1]!.msg, "datagram truncated (repeated 2 times)");
    assert.equal(lines[1]!.repeated, 2);
    assert.equal(lines[1]!.level, "error");
    assert.equal(counts.get("receiver/ERR_NETFLOW_TRUNCATED"), 4);
  });

  it("limits each code separately and counts every occurrence", () => {
    const { lines, log, clock, counts } = setup(1000);
    for (let i = 0; i < 5; i++) {
      clock.t = i;
      log.error("ERR_A", "a");
      log.warn("ERR_B", "b");
    }
    assert.deepEqual(
      lines.map((l) => [l.level, l.code]),
      [
        ["error", "ERR_A"],
        ["warn", "ERR_B"],
      ],
    );
    assert.equal(counts.get("receiver/ERR_A"), 5);
    assert.equal(counts.get("receiver/ERR_B"), 5);
  });

  it("flush reports pending suppressed counts once", () => {
    const { lines, log, clock } = setup(60_000);
    log.error("ERR_A", "a");
    clock.t = 1;
    log.error("ERR_A", "a again", { n: 2 });
    log.error("ERR_A", "a again", { n: 3 });
    log.flush();
    log.flush();
    assert.deepEqual(
      lines.map((l) => l.msg),
      ["a", "a again (repeated 2 times)"],
    );
    assert.equal(lines[1]!.n, 3);
    clock.t = 2;
    log.error("ERR_A", "a");
    assert.equal(lines.length, 2, "the flushed line starts a new interval");
  });

  it("does not report a count when nothing was suppressed", () => {
    const { lines, log, clock } = setup(100);
    for (const t of [0, 100, 250]) {
      clock.t = t;
      log.error("ERR_A", "a");
    }
    assert.deepEqual(
      lines.map((l) => [l.msg, l.repeated]),
      [
        ["a", undefined],
        ["a", undefined],
        ["a", undefined],
      ],
    );
  });
});
