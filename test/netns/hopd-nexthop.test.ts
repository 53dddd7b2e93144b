/**
 * hopd's forwarding reader on the real kernel's nexthop objects: a throwaway namespace (unique name, deleted after)
 * with an ingress veth `hosts` (10.40.0.1/24) and three uplinks `upN` (10.0.N.0/31), nexthops 1..3 via 10.0.N.1, a
 * weighted hash-threshold group 10 (`1,1/2,3`) and, when the kernel supports it, a resilient group 12 (`1/2/3 type
 * resilient buckets 16`); routes 10.30/16 nhid 10 and 10.50/16 nhid 12, dumped with `net.ipv4.nexthop_compat_mode=0`
 * so that the routes carry `nhid` alone and only `ip nexthop` tells their next hops. The reader runs every `ip` and
 * file read inside the namespace. Root only.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { ForwardingReader } from "../../src/hopd/forwarding.ts";
import { InterfaceCounterReader } from "../../src/hopd/interface-counters.ts";
import { type HopSystem, nodeSystem } from "../../src/hopd/system.ts";
import { REQUIRE_ALL, needsProgram } from "../helpers/requirements.ts";
import { LAB_SKIP, inNs, uniquePrefix } from "./lab-fixture.ts";

const SKIP = LAB_SKIP || needsProgram("cat", "coreutils");

/** A HopSystem whose programs and files are those of namespace `ns`. */
function namespaceSystem(ns: string): HopSystem {
  const run: HopSystem["run"] = (program, args, input) =>
    nodeSystem.run("ip", ["netns", "exec", ns, program, ...args], input);
  return {
    run,
    async readFile(path) {
      const r = await run("cat", [path]);
      return r.status === 0 ? r.stdout : null;
    },
    async listDir(path) {
      const r = await run("ls", ["-1", path]);
      return r.status === 0
        ? r.stdout
            .split("\n")
            .filter((n) => n !== "")
            .sort()
        : [];
    },
    hostname: nodeSystem.hostname,
    now: nodeSystem.now,
  };
}

/** Runs `ip ARGS` in `ns`, failing the calling hook with its stderr. */
function ipIn(ns: string, ...args: string[]): string {
  const r = inNs(ns, ["ip", ...args]);
  assert.equal(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("hopd forwarding over nexthop objects (real kernel)", { skip: SKIP }, () => {
  const ns = `${uniquePrefix("hn")}-nh`;
  let resilient = false;

  before(() => {
    const add = spawnSync("ip", ["netns", "add", ns], { encoding: "utf8" });
    assert.equal(add.status, 0, add.stderr);
    ipIn(ns, "link", "set", "lo", "up");
    for (const [key, value] of [
      ["net.ipv4.ip_forward", "1"],
      ["net.ipv4.conf.all.rp_filter", "0"],
      ["net.ipv4.fib_multipath_hash_policy", "1"],
      ["net.ipv4.nexthop_compat_mode", "0"],
    ] as const) {
      const r = inNs(ns, ["sysctl", "-qw", `${key}=${value}`]);
      assert.equal(r.status, 0, `${key}: ${r.stderr}`);
    }
    const veth = (name: string, address: string) => {
      ipIn(ns, "link", "add", name, "type", "veth", "peer", "name", `${name}p`);
      ipIn(ns, "addr", "add", address, "dev", name);
      ipIn(ns, "link", "set", name, "up");
      ipIn(ns, "link", "set", `${name}p`, "up");
    };
    veth("hosts", "10.40.0.1/24");
    for (const n of [1, 2, 3]) {
      veth(`up${n}`, `10.0.${n}.0/31`);
      ipIn(ns, "nexthop", "add", "id", String(n), "via", `10.0.${n}.1`, "dev", `up${n}`);
    }
    ipIn(ns, "nexthop", "add", "id", "10", "group", "1,1/2,3");
    ipIn(ns, "route", "add", "10.30.0.0/16", "nhid", "10");
    const r = inNs(ns, ["ip", "nexthop", "add", "id", "12", "group", "1/2/3", "type", "resilient", "buckets", "16"]);
    resilient = r.status === 0;
    if (resilient) ipIn(ns, "route", "add", "10.50.0.0/16", "nhid", "12");
  });

  after(() => {
    spawnSync("ip", ["netns", "del", ns]);
  });

  test("the route dump shows nhid alone: the next hops come from ip nexthop", () => {
    const routes = JSON.parse(ipIn(ns, "-j", "route", "show", "match", "10.30.5.9")) as Record<string, unknown>[];
    assert.equal(routes[0]?.nhid, 10);
    assert.equal(routes[0]?.nexthops, undefined);
  });

  test("weighted group: members up1, up2, 4 buckets, and the kernel's choice per flow", async () => {
    const sys = namespaceSystem(ns);
    const reader = new ForwardingReader(sys, new InterfaceCounterReader(sys));
    const seen = new Set<string>();
    for (let sport = 40000; sport < 40008; sport++) {
      const tuple = { src: "10.40.0.7", dst: "10.30.5.9", proto: "udp" as const, sport, dport: 33434 };
      const f = await reader.forwarding(tuple, "10.40.0.1");
      assert.equal(f.ingress, "hosts");
      assert.deepEqual(
        f.egress.members.map((m) => m.name),
        ["up1", "up2"],
      );
      assert.equal(f.egress.numBuckets, 4, "weights 1 + 3");
      const kernel = JSON.parse(
        ipIn(
          ns,
          "-j",
          "route",
          "get",
          "10.30.5.9",
          "from",
          "10.40.0.7",
          "iif",
          "hosts",
          "ipproto",
          "udp",
          "sport",
          String(sport),
          "dport",
          "33434",
        ),
      ) as { dev: string }[];
      assert.equal(f.egress.chosen, kernel[0]?.dev);
      seen.add(f.egress.chosen!);
    }
    assert.ok([...seen].every((d) => d === "up1" || d === "up2"));
  });

  test("resilient group: the group's buckets as NumBuckets", async (t) => {
    if (!resilient) {
      assert.ok(!REQUIRE_ALL, "FLOWLENS_REQUIRE_ALL=1: this kernel has no resilient nexthop groups (needs 5.13+)");
      t.skip("this kernel has no resilient nexthop groups");
      return;
    }
    const buckets = JSON.parse(ipIn(ns, "-j", "nexthop", "bucket", "show", "id", "12")) as unknown[];
    assert.equal(buckets.length, 16);
    const sys = namespaceSystem(ns);
    const f = await new ForwardingReader(sys, new InterfaceCounterReader(sys)).forwarding(
      { src: "10.40.0.7", dst: "10.50.5.9", proto: "tcp", sport: 5000, dport: 443 },
      "10.40.0.1",
    );
    assert.deepEqual(
      f.egress.members.map((m) => m.name),
      ["up1", "up2", "up3"],
    );
    assert.equal(f.egress.numBuckets, 16);
    assert.ok(["up1", "up2", "up3"].includes(f.egress.chosen!));
  });
});
