/**
 * Flows the kernel's connection tracker knows (`/proc/net/nf_conntrack`, present where the nf_conntrack module is
 * loaded: routers, NAT gateways, hosts with stateful firewalls). On a router these are the forwarded flows that no local
 * socket table shows; list/flow reports each by its original direction. Readable by root only on most systems: an
 * unreadable table is simply skipped.
 *
 * Line format (one entry): `ipv4 2 tcp 6 431999 ESTABLISHED src=A dst=B sport=P dport=Q [packets=N bytes=M] src=B dst=A
 * sport=Q dport=P ... mark=0 use=1`; the first src/dst/sport/dport are the original direction.
 */
import type { ProcSocket } from "./proc-net-flows.ts";

const FIELD = /(src|dst|sport|dport)=(\S+)/g;

/** The TCP and UDP IPv4 entries of an nf_conntrack table, original direction; other lines are skipped. */
export function parseConntrackTable(text: string): ProcSocket[] {
  const out: ProcSocket[] = [];
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== "ipv4" || (words[2] !== "tcp" && words[2] !== "udp")) continue;
    const seen: Record<string, string> = {};
    for (const m of line.matchAll(FIELD)) {
      if (seen[m[1]] !== undefined) break; // the reply direction starts: keep the original one
      seen[m[1]] = m[2];
    }
    const sport = Number(seen.sport);
    const dport = Number(seen.dport);
    if (seen.src === undefined || seen.dst === undefined || !Number.isInteger(sport) || !Number.isInteger(dport))
      continue;
    const proto = words[2] as "tcp" | "udp";
    // state "01": a tracked connection counts as established for isReportedFlow (it is never a listening socket).
    out.push({
      proto,
      localAddress: seen.src,
      localPort: sport,
      remoteAddress: seen.dst,
      remotePort: dport,
      state: "01",
    });
  }
  return out;
}
