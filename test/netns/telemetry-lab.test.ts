/**
 * A traced flow's Path filled from the lab's real routers: the agent (`flowlens agent -c` with the configuration `lab
 * up` writes) runs in h1 with hopd and snmpd in every router; every hop of a UDP flow h1 -> h2 reports its device,
 * ingress interface (the one holding the hop's address) and egress, the egress being the interface the router's own
 * route lookup picks for the flow. Then hopd of the spine on the path is stopped and the chain falls back to SNMP for
 * that hop, with the same interfaces. Root only (gated).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { hopdAvailable, type LabState, labUp, processRunning, stopServices } from "../../src/netlab/index.ts";
import { hasProgram, needsProgram, requirement } from "../helpers/requirements.ts";
import {
  destroyLab,
  H1,
  H2,
  inNs,
  isolateState,
  LAB_SKIP,
  LEAF1_HOST_SIDE,
  routeGetDevice,
  uniquePrefix,
} from "./lab-fixture.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/flowlens.js");
const SKIP =
  LAB_SKIP ||
  needsProgram("cc", "gcc") ||
  requirement(hasProgram("snmpd"), "snmpd not installed (apt-get install snmpd)") ||
  requirement(LAB_SKIP !== false || hopdAvailable(), "flowlens hopd is not available in this build");

// biome-ignore lint/suspicious/noExplicitAny: JSON of the CA API
type Json = any;

/** GET `url` from inside namespace `ns` (python3's urllib: the agent listens on h1's own loopback). */
function httpGet(ns: string, url: string): Json {
  // An HTTP error status still has a JSON body (e.g. 409 before the first round): print it too.
  const code = [
    "import sys,urllib.request,urllib.error",
    "try: print(urllib.request.urlopen(sys.argv[1],timeout=5).read().decode())",
    "except urllib.error.HTTPError as e: print(e.read().decode())",
  ].join("\n");
  const r = inNs(ns, ["python3", "-c", code, url]);
  if (r.status !== 0) throw new Error(`GET ${url}: ${r.stderr.split("\n").at(-1)}`);
  return JSON.parse(r.stdout);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The interface of namespace `ns` holding `address`. */
function interfaceOf(ns: string, address: string): string {
  const links = JSON.parse(inNs(ns, ["ip", "-j", "-4", "addr", "show"]).stdout) as {
    ifname: string;
    addr_info: { local: string }[];
  }[];
  return links.find((l) => l.addr_info.some((a) => a.local === address))?.ifname ?? "";
}

describe("hop telemetry from the lab's routers (hopd, then SNMP)", { skip: SKIP }, () => {
  const prefix = uniquePrefix("t");
  const ns = (node: string) => `${prefix}-${node}`;
  let restoreState = () => {};
  let state: LabState;
  let agent: ChildProcess | null = null;
  const flow = { proto: "udp", sport: 40123, dport: 33434 } as const;
  const query = `src=${H1}&dst=${H2}&proto=${flow.proto}&sport=${flow.sport}&dport=${flow.dport}`;
  /** Router of each hop address of the lab. */
  const routerOf = (address: string): string =>
    ["leaf1", "leaf2", "spine1", "spine2"].find((r) => interfaceOf(ns(r), address) !== "") ?? "";

  before(async () => {
    restoreState = isolateState();
    const build = spawnSync("bash", ["scripts/build-native.sh"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(build.status, 0, build.stderr);
    state = labUp({ prefix, services: { snmpd: true, hopd: true } });
    assert.equal((state.services ?? []).length, 8, state.warnings.join("; "));
    const log = openSync(join(state.serviceFiles!.dir, "agent.log"), "a");
    agent = spawn(
      "ip",
      ["netns", "exec", ns("h1"), process.execPath, BIN, "agent", "-c", state.serviceFiles!.agentConfig],
      {
        stdio: ["ignore", log, log],
      },
    );
    closeSync(log);
    const deadline = Date.now() + 40_000;
    for (;;) {
      try {
        httpGet(ns("h1"), "http://127.0.0.1:8080/healthz");
        break;
      } catch (e) {
        if (Date.now() > deadline || agent.exitCode !== null) throw e;
        await sleep(300);
      }
    }
  });
  after(async () => {
    try {
      if (agent?.pid !== undefined && agent.exitCode === null) {
        agent.kill("SIGTERM");
        const deadline = Date.now() + 5000;
        while (agent.exitCode === null && Date.now() < deadline) await sleep(50);
        if (agent.exitCode === null) agent.kill("SIGKILL");
      }
    } finally {
      destroyLab(prefix);
      restoreState();
    }
  });

  /** Polls data/flow until `ready(path)` holds (or 20 s pass); returns the last answer. */
  async function waitForPath(ready: (body: Json) => boolean): Promise<Json> {
    const deadline = Date.now() + 20_000;
    let body = httpGet(ns("h1"), `http://127.0.0.1:8080/data/flow?${query}`);
    while (!ready(body) && Date.now() < deadline) {
      await sleep(300);
      body = httpGet(ns("h1"), `http://127.0.0.1:8080/data/flow?${query}`);
    }
    return body;
  }

  /** Checks every hop's ingress and egress against the kernels' truth. */
  function checkHops(body: Json): void {
    const why = JSON.stringify(body).slice(0, 3000);
    const hops = body.Path as Json[];
    assert.equal(hops.length, 3, why);
    assert.equal(hops[0].HopAddress, LEAF1_HOST_SIDE);
    hops.forEach((h, i) => {
      const router = routerOf(h.HopAddress);
      assert.notEqual(router, "", `no router owns ${h.HopAddress}`);
      assert.equal(h.HopStatus, "OK", why);
      assert.ok(typeof h.DevName === "string" && h.DevName.length > 0, why);
      assert.ok(typeof h.DevSerialID === "string" && h.DevSerialID.length > 0, why);
      assert.ok(h.DevCPUUtil >= 0 && h.DevCPUUtil <= 100 && h.DevMEMUtil > 0 && h.DevMEMUtil <= 100, why);
      const ingress = h.IngressIFLAttribute.IFLList.map((x: Json) => x.IFLName);
      assert.deepEqual(ingress, [interfaceOf(ns(router), h.HopAddress)], `${router} ingress (${why})`);
      // The egress the router's kernel picks for this flow arriving on that ingress, which leads to the next hop's
      // router (interfaces are named after the node at the other end) or, at the last hop, to h2's bridge.
      const dev = routeGetDevice(ns(router), H2, H1, ingress[0], flow.sport, flow.dport);
      assert.equal(dev, i + 1 < hops.length ? routerOf(hops[i + 1].HopAddress) : "br-hosts", why);
      assert.equal(h.EgressIFLName, dev, `${router} egress (${why})`);
      const ecmp = h.EgressIFLAttribute.L3Ecmp;
      const members = (ecmp?.IFLList ?? h.EgressIFLAttribute.IFLList).map((x: Json) => x.IFLName);
      assert.ok(members.includes(dev), `${router}: ${dev} not among ${members}`);
      if (router === "leaf1") assert.equal(ecmp?.NumBuckets, 2, why);
      const stats = h.IngressIFLAttribute.IFLList[0].IFLStats;
      assert.ok(stats.RX_PKTS > 0 && stats.RX_BYTES > 0, why);
    });
  }

  test("every hop of the Path is filled from the routers' hopd, its egress the one the kernel picks", async () => {
    assert.equal(httpGet(ns("h1"), `http://127.0.0.1:8080/start/flow?${query}&nhops=8&timeout=2`).code, "EOK");
    const body = await waitForPath(
      (b) =>
        b.DestinationReached === true && (b.Path ?? []).length === 3 && b.Path.every((h: Json) => h.HopStatus === "OK"),
    );
    checkHops(body);
    // hopd answered (its serial is the machine's, not an SNMP engine id).
    for (const h of body.Path) assert.doesNotMatch(h.DevSerialID, /^engine:/);
  });

  test("with the spine's hopd stopped, that hop is answered by SNMP with the same interfaces", async () => {
    const first = await waitForPath((b) => (b.Path ?? []).length === 3);
    const spine = routerOf(first.Path[1].HopAddress);
    const hopd = (state.services ?? []).filter((s) => s.kind === "hopd" && s.node === spine);
    assert.equal(hopd.length, 1);
    stopServices(hopd);
    assert.equal(processRunning(hopd[0]!.pid), false);
    const body = await waitForPath(
      (b) =>
        (b.Path ?? []).length === 3 && /^engine:/.test(b.Path[1].DevSerialID ?? "") && b.Path[1].HopStatus === "OK",
    );
    assert.match(body.Path[1].DevSerialID, /^engine:/, JSON.stringify(body.Path[1]));
    assert.equal(body.Path[1].DevName, spine);
    assert.doesNotMatch(body.Path[0].DevSerialID, /^engine:/, "leaf1 still answers through hopd");
    checkHops(body);
    assert.equal(httpGet(ns("h1"), `http://127.0.0.1:8080/stop/flow?${query}`).code, "EOK");
  });
});
