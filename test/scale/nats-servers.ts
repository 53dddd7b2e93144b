/**
 * Real `nats-server` processes for the scale-out suites: one JetStream server, or a three-node JetStream cluster, on
 * free loopback ports with their stores in a temporary directory; started and stopped by PID. A node can be killed and
 * started again on the same ports and store.
 */
import { mkdirSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { needsProgram } from "../helpers/requirements.ts";
import { freePort } from "../helpers/free-port.ts";
import { type Child, startChild, waitFor } from "../helpers/processes.ts";

/** Debian's nats-server. */
export const NATS_SERVER = "/usr/sbin/nats-server";

/** Skip reason (or false) for suites that need nats-server. */
export function needsNatsServer(): false | string {
  return needsProgram("nats-server", "nats-server");
}

/** A free TCP port on 127.0.0.1 (re-exported for the scale suites and bench/scale.ts). */
export { freePort } from "../helpers/free-port.ts";

async function portOpen(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** One nats-server node. */
export class NatsNode {
  readonly name: string;
  readonly port: number;
  readonly clusterPort: number | undefined;
  readonly #args: string[];
  #child: Child | undefined;

  constructor(name: string, port: number, args: string[], clusterPort?: number) {
    this.name = name;
    this.port = port;
    this.clusterPort = clusterPort;
    this.#args = args;
  }

  /** `nats://127.0.0.1:<port>`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the node and waits for its client port. */
  async start(): Promise<void> {
    this.#child = startChild(NATS_SERVER, this.#args);
    await waitFor(`nats-server ${this.name} on ${this.port}`, () => portOpen(this.port), 15_000, 50);
  }

  /** Stops the node by PID (`SIGKILL` to simulate a crash). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.#child?.stop(signal, 5000);
    this.#child = undefined;
  }

  /** The server's log so far (for failure messages). */
  get log(): string {
    return this.#child?.stderr ?? "";
  }
}

/** One JetStream server on a free port, its store under `dir`. */
export async function startNatsServer(dir: string, port?: number): Promise<NatsNode> {
  const p = port ?? (await freePort());
  const store = join(dir, `nats-${p}`);
  mkdirSync(store, { recursive: true });
  const node = new NatsNode(`n-${p}`, p, ["-js", "-sd", store, "-a", "127.0.0.1", "-p", String(p), "-n", `n-${p}`]);
  await node.start();
  return node;
}

/** GET a nats-server monitoring endpoint as JSON, or null when it does not answer. */
async function monitor(port: number, path: string): Promise<Record<string, unknown> | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Whether every node sees the other two as routes and the same JetStream meta leader of a three-node meta group: until
 * then an R3 stream cannot be placed ("no suitable peers for placement"), which on a loaded machine takes seconds.
 */
async function clusterFormed(monitorPorts: readonly number[]): Promise<boolean> {
  const leaders = new Set<string>();
  for (const port of monitorPorts) {
    const routes = await monitor(port, "/routez");
    const jsz = await monitor(port, "/jsz");
    const meta = jsz?.meta_cluster as { leader?: string; cluster_size?: number } | undefined;
    if (routes === null || Number(routes.num_routes) < monitorPorts.length - 1) return false;
    if (meta?.leader === undefined || meta.leader === "" || meta.cluster_size !== monitorPorts.length) return false;
    leaders.add(meta.leader);
  }
  return leaders.size === 1;
}

/** Three JetStream nodes routed into one cluster; resolves once the routes are up and a JetStream meta leader is elected. */
export async function startNatsCluster(dir: string): Promise<NatsNode[]> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const cports = [await freePort(), await freePort(), await freePort()];
  const mports = [await freePort(), await freePort(), await freePort()];
  const routes = cports.map((c) => `nats://127.0.0.1:${c}`).join(",");
  const nodes = ports.map((p, i) => {
    const store = join(dir, `node-${i}`);
    mkdirSync(store, { recursive: true });
    return new NatsNode(
      `node-${i}`,
      p,
      [
        "-js",
        "-sd",
        store,
        "-a",
        "127.0.0.1",
        "-p",
        String(p),
        "-n",
        `node-${i}`,
        "--cluster_name",
        "flowlens-test",
        "--cluster",
        `nats://127.0.0.1:${cports[i]}`,
        "--routes",
        routes,
        "-m",
        String(mports[i]),
      ],
      cports[i],
    );
  });
  await Promise.all(nodes.map((n) => n.start()));
  await waitFor("JetStream cluster formed (routes and meta leader)", () => clusterFormed(mports), 30_000, 200);
  return nodes;
}
