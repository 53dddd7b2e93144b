/**
 * Scale-out throughput through NATS JetStream (`npm run bench -- scale`, or `node --import tsx bench/scale.ts`): one
 * JetStream server, one writer (`scale-out.role: writer`, gzip record files) and first one, then two receivers
 * (`role: receiver`, separate UDP ports), each a `flowlens collector` process. Each receiver is offered v5 datagrams (30
 * records) by its own sender process (bench/udp-blaster.ts) at `OFFERED` datagrams/s for `SECONDS`; figures:
 *
 * - stream ingest: records the receivers had acknowledged by the stream / time from the first datagram until the last
 *   acknowledgement;
 * - end to end: records in the writer's files / time from the first datagram until the writer wrote the last one;
 * - the two-receiver figure over the one-receiver figure (the scaling ratio).
 *
 * On one shared machine the receivers, the writer, nats-server and the senders compete for the same cores, so the ratio
 * says how far the design scales, not what separate machines would give (docs/benchmarks.md, "Scale-out").
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Child, startChild, waitFor } from "../test/helpers/processes.ts";
import { freePort, NATS_SERVER, type NatsNode, startNatsServer } from "../test/scale/nats-servers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Datagrams per second offered to each receiver (30 records each). */
const OFFERED = Number(process.env.FLOWLENS_BENCH_SCALE_RATE ?? 20_000);
const SECONDS = 3;

interface ScaleOut {
  publisher?: { publishedRecords: number; droppedRecords: number };
  writers?: { records: number }[];
}

interface Figures {
  receivers: number;
  offered: number;
  ingested: number;
  written: number;
  ingestPerSecond: number;
  endToEndPerSecond: number;
}

function config(dir: string, role: "receiver" | "writer", udp: number, admin: number, nats: string): string {
  const file = join(dir, `${role}-${udp}.yaml`);
  writeFileSync(
    file,
    `log-level: warn
spool-directory: ${JSON.stringify(join(dir, `${role}-${udp}`))}
admin: { host: 127.0.0.1, port: ${admin} }
interfaces:
  cp-0/0/0:
    listen: ["127.0.0.1:${udp}"]
    receive-buffer: 8MiB
    analyzer-address: 127.0.0.1
    analyzer-id: bench
    inputs: { all: { exporter: any } }
    file-specification: { compression-level: 1, maximum-records: 1000000 }
    export-channels: { "0": { primary: { url: ${JSON.stringify(`${pathToFileURL(join(dir, "out")).href}/`)} } } }
transfer-log-archive: { directory: ${JSON.stringify(join(dir, "log"))} }
scale-out:
  role: ${role}
  nats: { servers: [${JSON.stringify(nats)}] }
  stream: { max-bytes: 4GiB }
  receiver: { batch-records: 1000, publish-window: 256 }
  writer: { fetch-batch: 512 }
`,
  );
  return file;
}

async function scaleOut(admin: number): Promise<ScaleOut> {
  return (await (await fetch(`http://127.0.0.1:${admin}/api/v1/scale-out`)).json()) as ScaleOut;
}

function blaster(port: number): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "bench/udp-blaster.ts"), String(port), String(OFFERED), String(SECONDS)],
      { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] },
    );
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("exit", () => resolve(Number(out.trim()) * 30));
  });
}

/** Polls `read` until it stops growing for `quietMs`; returns the last value and when it last grew. */
async function settle(read: () => Promise<number>, quietMs = 1500): Promise<{ value: number; at: number }> {
  let value = await read();
  let at = performance.now();
  while (performance.now() - at < quietMs) {
    await new Promise((r) => setTimeout(r, 50));
    const v = await read();
    if (v > value) {
      value = v;
      at = performance.now();
    }
  }
  return { value, at };
}

async function run(receivers: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), "flowlens-bench-scale-"));
  mkdirSync(join(dir, "out"));
  const children: Child[] = [];
  let nats: NatsNode | undefined;
  try {
    nats = await startNatsServer(dir);
    const start = async (role: "receiver" | "writer") => {
      const [udp, admin] = [await freePort(), await freePort()];
      const cfg = config(dir, role, udp, admin, nats?.url ?? "");
      children.push(
        startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), "collector", "-c", cfg], { cwd: ROOT }),
      );
      await waitFor(
        `${role} admin API`,
        () =>
          scaleOut(admin).then(
            () => true,
            () => false,
          ),
        30_000,
        100,
      );
      return { udp, admin };
    };
    const writer = await start("writer");
    const rx: { udp: number; admin: number }[] = [];
    for (let i = 0; i < receivers; i++) rx.push(await start("receiver"));
    await new Promise((r) => setTimeout(r, 1000)); // stream and consumer created, connections settled
    const t0 = performance.now();
    const offered = (await Promise.all(rx.map((r) => blaster(r.udp)))).reduce((a, b) => a + b, 0);
    const ingest = await settle(async () => {
      const all = await Promise.all(rx.map((r) => scaleOut(r.admin)));
      return all.reduce((a, s) => a + (s.publisher?.publishedRecords ?? 0), 0);
    });
    const written = await settle(async () => (await scaleOut(writer.admin)).writers?.[0]?.records ?? 0, 3000);
    return {
      receivers,
      offered,
      ingested: ingest.value,
      written: written.value,
      ingestPerSecond: ingest.value / ((ingest.at - t0) / 1000),
      endToEndPerSecond: written.value / ((written.at - t0) / 1000),
    };
  } finally {
    for (const c of children) await c.stop("SIGTERM", 15_000);
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the one- and two-receiver setups and prints the figures and the scaling ratio. */
export async function runScaleBench(): Promise<void> {
  console.log(
    `\nscale-out: v5 over loopback into JetStream (${NATS_SERVER}), ${OFFERED * 30} records/s offered per receiver for ${SECONDS} s`,
  );
  const results: Figures[] = [];
  for (const n of [1, 2]) {
    const f = await run(n);
    results.push(f);
    console.log(
      `  ${n} receiver${n > 1 ? "s" : " "}: stream ingest ${Math.round(f.ingestPerSecond).toLocaleString("en").padStart(10)} records/s` +
        `, end to end ${Math.round(f.endToEndPerSecond).toLocaleString("en").padStart(10)} records/s` +
        `  (${f.written} written, ${f.ingested} published, ${f.offered} offered)`,
    );
  }
  const [one, two] = results;
  console.log(
    `  scaling ratio 2/1 receivers: stream ingest ${(two.ingestPerSecond / one.ingestPerSecond).toFixed(2)}, end to end ${(two.endToEndPerSecond / one.endToEndPerSecond).toFixed(2)}`,
  );
}

if (process.argv[1]?.endsWith("scale.ts")) await runScaleBench();
