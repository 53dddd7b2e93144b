/**
 * Waiting, after a lab is built, until every veth link between its nodes is up at both ends (`operstate` UP: both ends
 * administratively up and the pair's carrier on). A packet sent before then is dropped, so a first ARP request could
 * be lost and the kernel would only ask again a second later.
 */
import { mustRun, sleepSync } from "./commands.ts";
import type { PlannedLink } from "./plan.ts";

/** How long {@link waitForLinksUp} waits at most, ms. */
export const LINK_WAIT_MS = 5000;

/** Time between two looks, ms. */
const POLL_MS = 20;

/** The link ends of `links` that are not up yet, as `namespace/ifname`. */
export function linksNotUp(namespaces: ReadonlyMap<string, string>, links: readonly PlannedLink[]): string[] {
  const up = new Map<string, Set<string>>();
  const isUp = (ns: string, ifname: string): boolean => {
    let names = up.get(ns);
    if (names === undefined) {
      const shown = JSON.parse(mustRun("ip", ["-n", ns, "-j", "link", "show"])) as {
        ifname: string;
        operstate?: string;
      }[];
      names = new Set(shown.filter((l) => l.operstate === "UP").map((l) => l.ifname));
      up.set(ns, names);
    }
    return names.has(ifname);
  };
  const down: string[] = [];
  for (const { a, b } of links) {
    for (const end of [a, b]) {
      const ns = namespaces.get(end.node) ?? end.node;
      if (!isUp(ns, end.ifname)) down.push(`${ns}/${end.ifname}`);
    }
  }
  return down;
}

/**
 * Polls until every end of `links` is up; returns the ends still down after `timeoutMs` (empty when all came up).
 * `namespaces` maps node names to their namespaces. Blocks the thread (the lab is built synchronously).
 * @throws LabError `ERR_LAB_COMMAND` when `ip` fails.
 */
export function waitForLinksUp(
  namespaces: ReadonlyMap<string, string>,
  links: readonly PlannedLink[],
  timeoutMs = LINK_WAIT_MS,
): string[] {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const down = linksNotUp(namespaces, links);
    if (down.length === 0 || Date.now() >= deadline) return down;
    sleepSync(POLL_MS);
  }
}
