/**
 * A fake router for hopd's API and provider tests: two bonds and a plain interface in the ECMP group toward
 * 10.20.0.0/16 (fixtures *-bonds.*), ingress eno1 (10.40.0.1), nft answering a counter that grows by 5 per read.
 */
import { FakeSystem, failed, fixture, ok } from "./fake-system.ts";

/** The flow the fake router knows a route for. */
export const BOND_TARGET = {
  kind: "flow" as const,
  flow: { src: "10.40.0.7", dst: "10.20.5.9", proto: "tcp" as const, sport: 5000, dport: 443 },
  checksum: true,
};

/** A fresh fake router. */
export function bondRouterSystem(): FakeSystem {
  let packets = 0;
  const sys = new FakeSystem((p, a) => {
    const cmd = a.join(" ");
    if (p === "ip") {
      if (cmd.startsWith("netns identify")) return ok("");
      if (cmd === "-j addr show") return ok(fixture("ip-addr-bonds.json"));
      if (cmd === "-d -j link show") return ok(fixture("ip-d-link-bonds.json"));
      if (cmd.startsWith("-j route get 10.20.5.9 from 10.40.0.7 iif eno1"))
        return ok(fixture("ip-route-get-bonds.json"));
      if (cmd === "-j route show match 10.20.5.9") return ok(fixture("ip-route-show-match-bonds.json"));
    }
    if (p === "nft") {
      if (cmd.startsWith("-j list counter")) {
        packets += 5;
        return ok(`{"nftables": [{"counter": {"name": "${a[5]}", "packets": ${packets}, "bytes": 0}}]}`);
      }
      return ok(cmd.startsWith("-j -a list chain") ? '{"nftables": []}' : "");
    }
    if (p === "timedatectl") return ok("yes\n");
    return failed("not here");
  });
  for (const n of ["enp1s0f0", "enp1s0f1", "enp1s0f2", "enp2s0f0", "enp2s0f1", "bond0", "bond1", "eno1", "lo"]) {
    sys.addInterface(n, { rx_packets: 10, tx_packets: 20, rx_bytes: 1000, tx_bytes: 2000, multicast: 1 });
  }
  sys.files.set("/proc/stat", fixture("proc-stat.txt"));
  sys.files.set("/proc/meminfo", fixture("meminfo.txt"));
  sys.files.set("/etc/machine-id", "abc123\n");
  sys.files.set("/proc/net/bonding/bond0", fixture("proc-net-bonding-bond0.txt"));
  return sys;
}
