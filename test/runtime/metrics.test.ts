import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { register as globalRegistry } from "prom-client";
import { errorCounter, Metrics } from "../../src/runtime/metrics.ts";

describe("Metrics", () => {
  it("names every metric with the flowlens_ prefix, default process metrics included", async () => {
    const metrics = new Metrics();
    const received = metrics.counter("datagrams_received_total", "Datagrams received", { labelNames: ["reason"] });
    received.inc({ reason: "ok" }, 3);
    metrics.gauge("queue_bytes", "Bytes queued").set(42);
    metrics.histogram("upload_duration_seconds", "Upload time", { buckets: [0.1, 1] }).observe(0.5);
    const text = await metrics.text();
    assert.match(text, /^flowlens_datagrams_received_total\{reason="ok"\} 3$/m);
    assert.match(text, /^flowlens_queue_bytes 42$/m);
    assert.match(text, /^flowlens_upload_duration_seconds_bucket\{le="1"\} 1$/m);
    assert.match(text, /^flowlens_process_cpu_user_seconds_total /m);
    assert.match(text, /^flowlens_nodejs_eventloop_lag_seconds /m);
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
    assert.ok(names.length > 5);
    for (const name of names) assert.ok(name.startsWith("flowlens_"), name);
    assert.match(metrics.contentType, /^text\/plain/);
  });

  it("keeps registries isolated from each other and from prom-client's global registry", async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.counter("files_written_total", "Files written").inc();
    b.counter("files_written_total", "Files written").inc(5);
    assert.match(await a.text(), /^flowlens_files_written_total 1$/m);
    assert.match(await b.text(), /^flowlens_files_written_total 5$/m);
    assert.equal(globalRegistry.getSingleMetric("flowlens_files_written_total"), undefined);
    assert.ok(!(await globalRegistry.metrics()).includes("flowlens_"));
  });

  it("adds default labels and honours another prefix", async () => {
    const m = new Metrics({ defaultMetrics: false, prefix: "test_", labels: { daemon: "collector" } });
    m.gauge("up", "Up").set(1);
    assert.match(await m.text(), /^test_up\{daemon="collector"\} 1$/m);
  });

  it("enforces naming conventions", () => {
    const m = new Metrics({ defaultMetrics: false });
    assert.throws(() => m.counter("datagrams", "no _total"), TypeError);
    assert.throws(() => m.gauge("flowlens_queue_bytes", "prefixed twice"), TypeError);
    assert.throws(() => m.gauge("Queue-Bytes", "bad characters"), TypeError);
    m.gauge("queue_bytes", "first");
    assert.throws(() => m.gauge("queue_bytes", "again"), /already registered/);
  });

  it("computes a gauge at scrape time through collect", async () => {
    const m = new Metrics({ defaultMetrics: false });
    let depth = 7;
    m.gauge("queue_depth", "Queue depth", {
      collect() {
        this.set(depth);
      },
    });
    assert.match(await m.text(), /^flowlens_queue_depth 7$/m);
    depth = 9;
    assert.match(await m.text(), /^flowlens_queue_depth 9$/m);
  });

  it("errorCounter counts occurrences by component and code", async () => {
    const m = new Metrics({ defaultMetrics: false });
    const count = errorCounter(m);
    count("receiver", "ERR_NETFLOW_TRUNCATED");
    count("receiver", "ERR_NETFLOW_TRUNCATED");
    count("ftp", "ERR_FTP_CONNECT");
    const text = await m.text();
    assert.match(text, /^flowlens_errors_total\{component="receiver",code="ERR_NETFLOW_TRUNCATED"\} 2$/m);
    assert.match(text, /^flowlens_errors_total\{component="ftp",code="ERR_FTP_CONNECT"\} 1$/m);
  });
});
