/**
 * The collector's figures on `/metrics`: the spec's counters with their per-second and peak figures, drops by reason,
 * export channels by channel and server, inputs; read from the CollectorControl at each scrape.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { registerCollectorMetrics } from "../../src/collector/admin/collector-metrics.ts";
import type { CollectorControl } from "../../src/collector/contracts.ts";
import { createHttpServer, type HttpServer } from "../../src/runtime/http.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { FakeCollectorControl } from "../helpers/fake-collector-control.ts";

const servers: HttpServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function setup(control: CollectorControl = new FakeCollectorControl()) {
  const metrics = new Metrics({ defaultMetrics: false });
  registerCollectorMetrics(metrics, control);
  return metrics;
}

/** The value of the series `name{labels}` in exposition text (labels in registration order). */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("collector metrics", () => {
  it("exports each spec figure as a total and its per-second and peak figures", async () => {
    const text = await setup().text();
    const cp6 = '{interface="cp-6/0/0"}';
    assert.equal(value(text, `flowlens_collector_input_bytes_total${cp6}`), 9647752);
    assert.equal(value(text, `flowlens_collector_input_bytes_per_second${cp6}`), 12655);
    assert.equal(value(text, `flowlens_collector_input_bytes_peak_per_second${cp6}`), 14311);
    assert.equal(value(text, `flowlens_collector_flow_records_processed_total${cp6}`), 193782);
    assert.equal(value(text, `flowlens_collector_flow_records_processed_peak_per_second${cp6}`), 287);
    assert.equal(value(text, `flowlens_collector_blocks_allocated_total${cp6}`), 174);
    assert.equal(value(text, `flowlens_collector_files_created_total${cp6}`), 1);
    assert.equal(value(text, `flowlens_collector_uncompressed_bytes_peak_per_second${cp6}`), 156172);
    assert.equal(value(text, `flowlens_collector_compressed_bytes_total${cp6}`), 3079713);
    assert.equal(value(text, `flowlens_collector_transfer_bytes_total${cp6}`), 0);
    assert.equal(value(text, `flowlens_collector_memory_used_bytes${cp6}`), 19593212);
    assert.equal(value(text, `flowlens_collector_memory_free_bytes${cp6}`), 479528656);
    assert.equal(value(text, `flowlens_collector_input_packets_total{interface="cp-7/0/0"}`), 0);
    assert.match(text, /# TYPE flowlens_collector_input_bytes_total counter/);
    assert.match(text, /# TYPE flowlens_collector_input_bytes_per_second gauge/);
  });

  it("labels drops by reason, channels by channel and server, inputs by input", async () => {
    const control = new FakeCollectorControl();
    control.status[0]!.drops.notJunosFlow = 7;
    control.status[0]!.drops.noMemory = 2;
    const text = await setup(control).text();
    assert.equal(value(text, 'flowlens_collector_packet_drops_total{interface="cp-6/0/0",reason="not_junos_flow"}'), 7);
    assert.equal(value(text, 'flowlens_collector_packet_drops_total{interface="cp-6/0/0",reason="no_memory"}'), 2);
    assert.equal(value(text, 'flowlens_collector_packet_drops_total{interface="cp-6/0/0",reason="tcp"}'), 0);
    const ch = (c: number, server: string) => `{interface="cp-6/0/0",channel="${c}",server="${server}"}`;
    assert.equal(value(text, `flowlens_collector_export_channel_current_server${ch(1, "secondary")}`), 1);
    assert.equal(value(text, `flowlens_collector_export_channel_current_server${ch(1, "primary")}`), 0);
    assert.equal(value(text, `flowlens_collector_export_server_up${ch(0, "primary")}`), 1);
    assert.equal(
      value(text, 'flowlens_collector_export_server_up{interface="cp-7/0/0",channel="0",server="secondary"}'),
      undefined,
      "a server that is not configured has no series",
    );
    assert.equal(
      value(text, 'flowlens_collector_input_interface_bytes_total{interface="cp-6/0/0",input="mo-7/1/0.0"}'),
      9074096,
    );
    assert.equal(
      value(text, 'flowlens_collector_input_sequence_resets_total{interface="cp-6/0/0",input="mo-7/1/0.0"}'),
      1,
    );
    assert.equal(value(text, 'flowlens_collector_interface_state{interface="cp-6/0/0",state="Collecting flows"}'), 1);
    assert.equal(value(text, 'flowlens_collector_interface_state{interface="cp-6/0/0",state="Stopping"}'), 0);
    assert.equal(value(text, 'flowlens_collector_record_files{interface="cp-6/0/0",state="Active"}'), 1);
    assert.equal(
      value(text, 'flowlens_collector_receive_buffer_bytes{interface="cp-6/0/0",address="127.0.0.1:2055"}'),
      4194304,
    );
  });

  it("follows the collector between scrapes: a clear shows as a counter reset", async () => {
    const control = new FakeCollectorControl();
    const metrics = setup(control);
    const series = 'flowlens_collector_input_packets_total{interface="cp-6/0/0"}';
    assert.equal(value(await metrics.text(), series), 6658);
    control.clearStatistics("cp-6/0/0");
    assert.equal(value(await metrics.text(), series), 0);
    control.status.pop();
    assert.doesNotMatch(await metrics.text(), /cp-7\/0\/0/, "a removed interface leaves no series");
  });

  it("reads the control once per scrape", async () => {
    const control = new FakeCollectorControl();
    let reads = 0;
    const counting: CollectorControl = Object.assign(Object.create(control), {
      interfaces: (name?: string) => {
        reads++;
        return control.interfaces(name);
      },
    });
    const metrics = setup(counting);
    await metrics.text();
    assert.equal(reads, 1);
    await metrics.text();
    assert.equal(reads, 2);
  });

  it("scrapes empty rather than failing when the control throws", async () => {
    const broken = new FakeCollectorControl();
    broken.interfaces = () => {
      throw new Error("stopping");
    };
    const text = await setup(broken).text();
    assert.match(text, /# TYPE flowlens_collector_input_packets_total counter/);
    assert.doesNotMatch(text, /interface="/);
  });

  it("keeps to the naming conventions: prefix, _total counters, no per-flow labels", async () => {
    const text = await setup().text();
    for (const line of text.split("\n").filter((l) => l.startsWith("# TYPE "))) {
      const [, , name, type] = line.split(" ");
      assert.match(name!, /^flowlens_collector_[a-z0-9_]+$/);
      assert.equal(name!.endsWith("_total"), type === "counter", line);
    }
    const labels = new Set([...text.matchAll(/([a-z_]+)="/g)].map((m) => m[1]));
    assert.deepEqual([...labels].sort(), ["address", "channel", "input", "interface", "reason", "server", "state"]);
  });

  it("is served on /metrics by the daemon's HTTP base", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    registerCollectorMetrics(metrics, new FakeCollectorControl());
    const server = createHttpServer({ name: "collector", metrics });
    servers.push(server);
    const res = await server.app.inject({ url: "/metrics" });
    assert.equal(res.statusCode, 200);
    assert.equal(value(res.body, 'flowlens_collector_input_packets_total{interface="cp-6/0/0"}'), 6658);
  });
});
