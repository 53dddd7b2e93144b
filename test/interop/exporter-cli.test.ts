/**
 * `flowlens export` and `flowlens exporter` as child processes: the one-shot summary and what reaches the receiver,
 * the refusals with the spec's reasons (one line each, no stack trace), and the daemon's SIGTERM, which exports every
 * flow still in the cache before it exits.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeNetflowV5 } from "../../src/wire/netflow-v5.ts";
import { startChild, waitFor } from "../helpers/processes.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";
import { freePort, ROOT, runFlowlens, udpSink } from "./exporter-oracles.ts";

describe("flowlens export and flowlens exporter (child processes)", () => {
  let dir: string;
  let pcap: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-exporter-cli-"));
    pcap = join(dir, "traffic.pcap");
    writeFileSync(pcap, trafficCapture({ tcp: 20, udp: 15, icmp: 5 }));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("export: sends the capture's flows and prints a summary", async () => {
    const sink = await udpSink();
    try {
      const run = await runFlowlens(["export", "--pcap", pcap, "--to", `127.0.0.1:${sink.port}`, "--rate", "1"]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, "");
      const lines = run.stdout.trimEnd().split("\n");
      assert.match(
        lines[0],
        new RegExp(`^flowlens export: .*traffic\\.pcap -> 127\\.0\\.0\\.1:${sink.port} \\(NetFlow v5\\)$`),
      );
      const packets = Number(/packets read +(\d+)/.exec(run.stdout)?.[1]);
      const flows = Number(/flows +(\d+)/.exec(run.stdout)?.[1]);
      const [, records, datagrams] = /stream v5: (\d+) records in (\d+) datagrams/.exec(run.stdout) ?? [];
      assert.ok(packets > 300);
      assert.equal(Number(records), flows);
      await waitFor("datagrams", () => sink.datagrams.length === Number(datagrams));
      const got = sink.datagrams.flatMap((d) => decodeNetflowV5(d).records);
      assert.equal(got.length, flows);
      assert.equal(
        got.reduce((a, r) => a + r.dPkts, 0),
        packets,
      );
    } finally {
      await sink.close();
    }
  });

  it("export: sampled runs are reproducible, and the header carries the sampling mode and interval", async () => {
    const runs: Uint8Array[][] = [];
    for (let i = 0; i < 2; i++) {
      const sink = await udpSink();
      try {
        const args = ["--to", `127.0.0.1:${sink.port}`, "--rate", "4", "--seed", "9", "--json"];
        const run = await runFlowlens(["export", "--pcap", pcap, ...args]);
        assert.equal(run.code, 0, run.stderr);
        const status = JSON.parse(run.stdout) as {
          sampling: { offered: number; sampled: number };
          hosts: { streams: { datagrams: number }[] }[];
        };
        // 1 in 4 of about 700 packets: far inside 5 standard deviations (sd = sqrt(n p (1 - p)) ~ 11).
        const { offered, sampled } = status.sampling;
        assert.ok(Math.abs(sampled - offered / 4) < 5 * Math.sqrt(offered * 0.25 * 0.75), `${sampled} of ${offered}`);
        await waitFor("datagrams", () => sink.datagrams.length === status.hosts[0].streams[0].datagrams);
        runs.push(sink.datagrams.slice());
      } finally {
        await sink.close();
      }
    }
    assert.deepEqual(runs[0], runs[1], "the same capture and seed give the same datagrams, byte for byte");
    const header = decodeNetflowV5(runs[0][0]).header;
    assert.deepEqual([header.samplingMode, header.samplingInterval], [2, 4]);
  });

  it("export: refusals with the spec's reasons, one line each, exit 1", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--to", "127.0.0.1:2055", "--version", "5", "--aggregation", "protocol-port"],
        /^output\.cflowd\[0\]\.aggregation: Aggregation is valid only if cflowd version 8 is specified$/m,
      ],
      [
        ["--to", "127.0.0.1", "--aggregation", "protocol-port"],
        /^output\.cflowd\[0\]\.port: protocol-port aggregation requires setting the separate cflowd port statement$/m,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runFlowlens(["export", "--pcap", pcap, ...args]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^flowlens export: refused:$/m);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    }
    const missing = await runFlowlens(["export", "--pcap", join(dir, "nope.pcap"), "--to", "127.0.0.1:9"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^flowlens export: .*nope\.pcap.*ENOENT/m);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
    const usage = await runFlowlens(["export", "--pcap", pcap, "--to", "127.0.0.1:9", "--version", "7"]);
    assert.equal(usage.code, 2);
  });

  it("exporter -c: --check refuses host sampling with port mirroring; --dump prints the effective configuration", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      "output: { cflowd: [{ host: 127.0.0.1, port: 2055 }] }\nport-mirroring: { output: { interface: ge-0/0/2 } }\n",
    );
    const check = await runFlowlens(["exporter", "-c", bad, "--check"]);
    assert.equal(check.code, 1);
    assert.equal(
      check.stderr,
      "port-mirroring: You cannot specify both host (cflowd) sampling and port mirroring in the same configuration\n",
    );
    const start = await runFlowlens(["exporter", "-c", bad]);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /^flowlens exporter: configuration refused:\nport-mirroring: You cannot/);
    const good = join(dir, "good.yaml");
    writeFileSync(good, "output: { cflowd: [{ host: 127.0.0.1, port: 2055, version: 5 }] }\n");
    const dump = await runFlowlens(["exporter", "-c", good, "--dump"]);
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, /^ {2}period: 1m$/m);
    assert.match(dump.stdout, /^ {2}port: 8083$/m);
  });

  it("exporter daemon: SIGTERM exports every flow still in the cache, then exits 0", async () => {
    const sink = await udpSink();
    const admin = await freePort();
    const config = join(dir, "daemon.yaml");
    writeFileSync(
      config,
      `log-level: warn
input: { max-packets-per-second: unlimited, pcap: [{ file: ${JSON.stringify(pcap)} }] }
output: { cflowd: [{ host: 127.0.0.1, port: ${sink.port}, version: 5 }] }
flow-cache: { flow-inactive-timeout: 1h, tcp-close-timeout: 1h }
admin: { port: ${admin} }
`,
    );
    const child = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), "exporter", "-c", config], {
      cwd: ROOT,
    });
    try {
      const status = async () => {
        const r = await fetch(`http://127.0.0.1:${admin}/api/v1/exporter`);
        return (await r.json()) as {
          sources: { state: string }[];
          flows: { inCache: number };
          packets: { ipv4: number };
        };
      };
      const read = (await waitFor("the capture read", async () => {
        const s = await status().catch(() => undefined);
        return s?.sources[0].state === "done" ? s : undefined;
      }))!;
      assert.ok(read.flows.inCache > 0);
      assert.equal((await fetch(`http://127.0.0.1:${admin}/readyz`)).status, 200);
      assert.equal(await child.stop("SIGTERM", 10_000), 0);
      await waitFor("datagrams", () =>
        sink.datagrams.flatMap((d) => decodeNetflowV5(d).records).length === read.flows.inCache ? true : undefined,
      );
      const got = sink.datagrams.flatMap((d) => decodeNetflowV5(d).records);
      assert.equal(
        got.reduce((a, r) => a + r.dPkts, 0),
        read.packets.ipv4,
      );
    } finally {
      await child.stop("SIGKILL");
      await sink.close();
    }
  });
});
