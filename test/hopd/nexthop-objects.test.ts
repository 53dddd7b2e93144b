/**
 * Routes through nexthop objects on outputs recorded from this machine's kernel (6.18, iproute2 6.1) in a throwaway
 * namespace: nexthops 1..3 (`via 10.0.N.1 dev upN`), 4 (`dev up3`), 5 (blackhole); groups 10 (`1/2`), 11 (`1,1/2,3`) and
 * 12 (`1/2/3 type resilient buckets 12`); routes 10.20/16 nhid 10, 10.30/16 nhid 11, 10.50/16 nhid 12, 10.60/16 nhid 3,
 * 10.70/16 nhid 4, 10.80/16 nhid 5. `ip-route-show-nhid*.json` without `-compat` were dumped with
 * `net.ipv4.nexthop_compat_mode=0` (routes show `nhid` alone), `-compat` with the default 1.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ForwardingReader } from "../../src/hopd/forwarding.ts";
import { InterfaceCounterReader } from "../../src/hopd/interface-counters.ts";
import { parseRouteGet, parseRoutes, selectRoute } from "../../src/hopd/ip-json.ts";
import { parseNexthops, resolveNexthop } from "../../src/hopd/nexthop-objects.ts";
import { FakeSystem, failed, fixture, ok } from "./fake-system.ts";

const hopsOf = (r: { nexthops: { dev: string; gateway?: string; weight: number }[] } | null | undefined) =>
  r?.nexthops.map((h) => `${h.dev}/${h.gateway ?? "-"}/${h.weight}`);

describe("ip -j nexthop show", () => {
  test("nexthops, groups with weights, a resilient group's buckets, blackholes", () => {
    const table = parseNexthops(fixture("ip-nexthop-show.json"));
    assert.deepEqual([...table.keys()], [1, 2, 3, 4, 5, 10, 11, 12]);
    assert.deepEqual(table.get(1), { id: 1, blackhole: false, dev: "up1", gateway: "10.0.1.1" });
    assert.deepEqual(table.get(4), { id: 4, blackhole: false, dev: "up3" });
    assert.equal(table.get(5)?.blackhole, true);
    assert.deepEqual(table.get(11)?.group, [
      { id: 1, weight: 1 },
      { id: 2, weight: 3 },
    ]);
    assert.equal(table.get(11)?.type, "mpath");
    assert.equal(table.get(12)?.type, "resilient");
    assert.equal(table.get(12)?.buckets, 12);
    assert.equal(parseNexthops("garbage").size, 0);
    assert.equal(parseNexthops('[{"id":0},{"id":"x"},{"dev":"a"}]').size, 0);
  });

  test("resolution: group members in order with weights; buckets = weights' sum or the resilient count", () => {
    const table = parseNexthops(fixture("ip-nexthop-show.json"));
    const g10 = resolveNexthop(table, 10);
    assert.deepEqual(hopsOf(g10), ["up1/10.0.1.1/1", "up2/10.0.2.1/1"]);
    assert.equal(g10?.numBuckets, 2);
    const g11 = resolveNexthop(table, 11);
    assert.deepEqual(hopsOf(g11), ["up1/10.0.1.1/1", "up2/10.0.2.1/3"]);
    assert.equal(g11?.numBuckets, 4);
    const g12 = resolveNexthop(table, 12);
    assert.deepEqual(hopsOf(g12), ["up1/10.0.1.1/1", "up2/10.0.2.1/1", "up3/10.0.3.1/1"]);
    assert.equal(g12?.numBuckets, 12, "resilient: the bucket count, not the member count");
    assert.deepEqual(resolveNexthop(table, 3), {
      nexthops: [{ dev: "up3", gateway: "10.0.3.1", weight: 1 }],
      numBuckets: 1,
    });
    assert.deepEqual(hopsOf(resolveNexthop(table, 4)), ["up3/-/1"]);
    assert.equal(resolveNexthop(table, 5), null, "blackhole");
    assert.equal(resolveNexthop(table, 99), null, "unknown id");
  });

  test("the bucket table agrees: 12 buckets spread over the 3 members", () => {
    const buckets = JSON.parse(fixture("ip-nexthop-bucket-show.json")) as { bucket: { nhid: number } }[];
    assert.equal(buckets.length, parseNexthops(fixture("ip-nexthop-show.json")).get(12)?.buckets);
    assert.deepEqual([...new Set(buckets.map((b) => b.bucket.nhid))].sort(), [1, 2, 3]);
  });

  test("route dumps keep nhid: alone (compat mode 0) or beside the expanded next hops (compat mode 1)", () => {
    const bare = parseRoutes(fixture("ip-route-show-nhid.json"));
    const g = bare.find((r) => r.dst === "10.30.0.0/16");
    assert.equal(g?.nhid, 11);
    assert.deepEqual(g?.nexthops, []);
    assert.equal(
      bare.find((r) => r.dst === "10.80.0.0/16"),
      undefined,
      "blackhole routes are not forwarding routes",
    );
    const compat = parseRoutes(fixture("ip-route-show-nhid-compat.json"));
    const c = compat.find((r) => r.dst === "10.30.0.0/16");
    assert.equal(c?.nhid, 11);
    assert.deepEqual(hopsOf(c), ["up1/10.0.1.1/1", "up2/10.0.2.1/3"]);
    assert.deepEqual(hopsOf(compat.find((r) => r.dst === "10.60.0.0/16")), ["up3/10.0.3.1/1"]);
    assert.deepEqual(parseRouteGet(fixture("ip-route-get-nhid.json")), { dev: "up1", gateway: "10.0.1.1" });
    const shown = parseRoutes(fixture("ip-route-show-match-nhid.json"));
    assert.equal(selectRoute(shown, { dev: "up1", gateway: "10.0.1.1" })?.nhid, 11);
  });
});

const TUPLE = { src: "10.40.0.7", proto: "tcp" as const, sport: 5000, dport: 443 };

/** The recorded router: `ip route show match` answers from the compat-0 or compat-1 dump. */
function nhRouter(options: { compat?: boolean; nexthops?: boolean } = {}): FakeSystem {
  return new FakeSystem((p, a) => {
    if (p !== "ip") return undefined;
    const cmd = a.join(" ");
    if (cmd === "-j addr show") return ok(fixture("ip-addr-nhid.json"));
    if (cmd === "-d -j link show") return ok("[]");
    if (cmd === "-j nexthop show")
      return options.nexthops === false
        ? failed("Error: Operation not supported")
        : ok(fixture("ip-nexthop-show.json"));
    const get = /^-j route get (\S+) from 10\.40\.0\.7 iif hosts ipproto tcp sport 5000 dport 443$/.exec(cmd);
    if (get?.[1] === "10.30.5.9") return ok(fixture("ip-route-get-nhid.json"));
    if (get?.[1] === "10.50.5.9") return ok(fixture("ip-route-get-nhid-resilient.json"));
    const match = /^-j route show match (\S+)$/.exec(cmd);
    if (match !== null) {
      if (!options.compat) {
        const name =
          match[1] === "10.50.5.9" ? "ip-route-show-match-nhid-resilient.json" : "ip-route-show-match-nhid.json";
        return ok(fixture(name));
      }
      // The compat dump filtered to the routes holding the address, as `ip route show match` would.
      const all = JSON.parse(fixture("ip-route-show-nhid-compat.json")) as { dst: string }[];
      const prefix = `${match[1]!.split(".").slice(0, 2).join(".")}.0.0/16`;
      return ok(JSON.stringify(all.filter((r) => r.dst === prefix)));
    }
    return failed(`unexpected: ip ${cmd}`);
  });
}

describe("forwarding through nexthop objects", () => {
  for (const compat of [false, true]) {
    test(`weighted group and resilient group (nexthop_compat_mode=${compat ? 1 : 0})`, async () => {
      const sys = nhRouter({ compat });
      const reader = new ForwardingReader(sys, new InterfaceCounterReader(sys));
      const w = await reader.forwarding({ ...TUPLE, dst: "10.30.5.9" }, "10.40.0.1");
      assert.equal(w.ingress, "hosts");
      assert.equal(w.egress.chosen, "up1");
      assert.deepEqual(
        w.egress.members.map((m) => m.name),
        ["up1", "up2"],
      );
      assert.equal(w.egress.numBuckets, 4, "weights 1 + 3");
      const r = await reader.forwarding({ ...TUPLE, dst: "10.50.5.9" }, "10.40.0.1");
      assert.equal(r.egress.chosen, "up2");
      assert.deepEqual(
        r.egress.members.map((m) => m.name),
        ["up1", "up2", "up3"],
      );
      assert.equal(r.egress.numBuckets, 12, "the resilient group's buckets");
      assert.ok(sys.calls.some((c) => c.args.join(" ") === "-j nexthop show"));
    });
  }

  test("nexthop table unreadable: the compat dump's next hops are kept; with nhid alone, the chosen device", async () => {
    const compat = nhRouter({ compat: true, nexthops: false });
    const a = await new ForwardingReader(compat, new InterfaceCounterReader(compat)).forwarding(
      { ...TUPLE, dst: "10.50.5.9" },
      "10.40.0.1",
    );
    assert.deepEqual(
      a.egress.members.map((m) => m.name),
      ["up1", "up2", "up3"],
    );
    assert.equal(a.egress.numBuckets, 3, "the compat dump does not show a resilient group's buckets");
    const bare = nhRouter({ nexthops: false });
    const b = await new ForwardingReader(bare, new InterfaceCounterReader(bare)).forwarding(
      { ...TUPLE, dst: "10.30.5.9" },
      "10.40.0.1",
    );
    assert.deepEqual(
      b.egress.members.map((m) => m.name),
      ["up1"],
    );
    assert.equal(b.egress.numBuckets, 1);
  });
});
