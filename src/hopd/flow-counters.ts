/**
 * Per-flow packet counters (`bw_ingress`, compute-agent-api.txt Table 7 `Bandwidth_Counter` / `Bandwidth_ID`) as
 * nftables named counters in hopd's own table (default `inet flowlens_hopd`), one per flow and ingress interface:
 *
 * ```
 * table inet flowlens_hopd {
 *   counter f<N> { }
 *   chain ingress { type filter hook prerouting priority -150; policy accept;
 *     iifname "<in>" ip saddr S ip daddr D udp sport SP udp dport DP counter name "f<N>" comment "<flow key>" }
 * }
 * ```
 *
 * The prerouting hook sees every packet of the flow arriving on the interface before routing (forwarded ones and those
 * addressed to the router alike), so probes carrying the flow's tuple are counted too. `Bandwidth_Counter` is the
 * counter's packets; `Bandwidth_ID` is a number that changes whenever the counter is installed again (after a release,
 * a vanished table, an ingress change) or is found reset (fewer packets than last read). The table is deleted and
 * created empty at start (stale rules of an earlier run), and deleted at stop. Reading uses `nft -j`.
 */
import { HopdError, commandError } from "./errors.ts";
import type { PacketTuple } from "./flow-target.ts";
import { KeyedLock } from "./keyed-lock.ts";
import type { HopSystem } from "./system.ts";

/** Default nftables table name (family `inet`). */
export const DEFAULT_NFT_TABLE = "flowlens_hopd";
/** The chain holding the counting rules. */
export const NFT_CHAIN = "ingress";

/** A flow's counter as the API reports it. */
export interface FlowBandwidth {
  /** Packets counted since the counter was installed. */
  counter: number;
  /** Changes whenever the counter is (re)installed or reset. */
  id: number;
}

interface Installed {
  name: string;
  ingress: string;
  id: number;
  last: number;
}

/** The nft rule text matching `tuple` arriving on `ingress` and counting into `counter`. */
export function counterRule(tuple: PacketTuple, ingress: string, counter: string, comment: string): string {
  if (!/^[\w.:@-]{1,15}$/.test(ingress)) throw new HopdError("ERR_HOPD_BAD_REQUEST", `bad interface name ${ingress}`);
  const p = tuple.proto;
  return (
    `iifname "${ingress}" ip saddr ${tuple.src} ip daddr ${tuple.dst} ${p} sport ${tuple.sport} ${p} dport ${tuple.dport}` +
    ` counter name "${counter}" comment "${comment.replace(/[^\w.:>-]/g, "_")}"`
  );
}

/** The packets of the named counter in `nft -j list counter` output; null when absent. */
export function parseCounterPackets(text: string, name: string): number | null {
  try {
    const doc = JSON.parse(text) as { nftables?: { counter?: { name?: string; packets?: number } }[] };
    const c = doc.nftables?.find((e) => e.counter?.name === name)?.counter;
    return typeof c?.packets === "number" ? c.packets : null;
  } catch {
    return null;
  }
}

/** Handles of the rules in `nft -j list chain` output that count into `counter`. */
export function parseRuleHandles(text: string, counter: string): number[] {
  try {
    const doc = JSON.parse(text) as { nftables?: { rule?: { handle?: number; expr?: unknown[] } }[] };
    return (doc.nftables ?? [])
      .map((e) => e.rule)
      .filter((r) => r?.expr?.some((x) => (x as { counter?: unknown }).counter === counter) === true)
      .map((r) => r!.handle!)
      .filter((h) => typeof h === "number");
  } catch {
    return [];
  }
}

/** The flow counters of one router. */
export class FlowCounters {
  readonly #flows = new Map<string, Installed>();
  readonly #lock = new KeyedLock();
  #nextCounter = 1;
  #nextId: number;

  constructor(
    private readonly system: HopSystem,
    private readonly table = DEFAULT_NFT_TABLE,
    private readonly maxFlows = 1024,
  ) {
    // Seeded from the clock so a restarted hopd never repeats the IDs of its previous run.
    this.#nextId = Math.floor(system.now() / 1000) % 1_000_000_000;
  }

  /** Number of flows with a counter. */
  get size(): number {
    return this.#flows.size;
  }

  async #nft(args: readonly string[], input?: string): Promise<string> {
    const r = await this.system.run("nft", args, input);
    if (r.status !== 0) throw commandError(`nft ${args.join(" ")}`.trim(), r.stderr, r.status);
    return r.stdout;
  }

  /** Deletes hopd's table if present (stale state) and creates it empty with its chain. */
  async reset(): Promise<void> {
    this.#flows.clear();
    await this.#nft(
      ["-f", "-"],
      `table inet ${this.table}\ndelete table inet ${this.table}\ntable inet ${this.table} {\n` +
        `  chain ${NFT_CHAIN} { type filter hook prerouting priority -150; policy accept; }\n}\n`,
    );
  }

  /** Deletes hopd's table (nothing left behind). */
  async destroy(): Promise<void> {
    this.#flows.clear();
    await this.#nft(["-f", "-"], `table inet ${this.table}\ndelete table inet ${this.table}\n`);
  }

  /**
   * The flow's counter, installed first when it has none yet (or it vanished, or the ingress changed).
   * @throws HopdError `ERR_HOPD_COMMAND` when nft fails, `ERR_HOPD_LIMIT` beyond `maxFlows` counters.
   */
  read(key: string, tuple: PacketTuple, ingress: string): Promise<FlowBandwidth> {
    return this.#lock.run(key, () => this.#read(key, tuple, ingress));
  }

  async #read(key: string, tuple: PacketTuple, ingress: string): Promise<FlowBandwidth> {
    let flow = this.#flows.get(key);
    if (flow !== undefined && flow.ingress !== ingress) {
      await this.#release(key);
      flow = undefined;
    }
    if (flow === undefined) return this.#install(key, tuple, ingress);
    const packets = await this.#packets(flow.name);
    if (packets === null) {
      this.#flows.delete(key);
      return this.#install(key, tuple, ingress);
    }
    if (packets < flow.last) flow.id = this.#newId();
    flow.last = packets;
    return { counter: packets, id: flow.id };
  }

  async #packets(name: string): Promise<number | null> {
    const r = await this.system.run("nft", ["-j", "list", "counter", "inet", this.table, name]);
    return r.status === 0 ? parseCounterPackets(r.stdout, name) : null;
  }

  #newId(): number {
    this.#nextId = (this.#nextId + 1) % 2_147_483_647;
    return this.#nextId;
  }

  async #install(key: string, tuple: PacketTuple, ingress: string): Promise<FlowBandwidth> {
    if (this.#flows.size >= this.maxFlows) {
      throw new HopdError("ERR_HOPD_LIMIT", `at most ${this.maxFlows} flow counters (release some with stop)`);
    }
    const name = `f${this.#nextCounter++}`;
    const rule = counterRule(tuple, ingress, name, key);
    await this.#nft(
      ["-f", "-"],
      `add counter inet ${this.table} ${name}\nadd rule inet ${this.table} ${NFT_CHAIN} ${rule}\n`,
    );
    const flow: Installed = { name, ingress, id: this.#newId(), last: 0 };
    this.#flows.set(key, flow);
    return { counter: 0, id: flow.id };
  }

  /** Removes the flow's rule and counter (nothing to do when it has none). */
  release(key: string): Promise<void> {
    return this.#lock.run(key, () => this.#release(key));
  }

  async #release(key: string): Promise<void> {
    const flow = this.#flows.get(key);
    if (flow === undefined) return;
    this.#flows.delete(key);
    const chain = await this.system.run("nft", ["-j", "-a", "list", "chain", "inet", this.table, NFT_CHAIN]);
    const handles = chain.status === 0 ? parseRuleHandles(chain.stdout, flow.name) : [];
    const lines = handles.map((h) => `delete rule inet ${this.table} ${NFT_CHAIN} handle ${h}`);
    lines.push(`delete counter inet ${this.table} ${flow.name}`);
    const r = await this.system.run("nft", ["-f", "-"], `${lines.join("\n")}\n`);
    if (r.status !== 0 && !/No such file or directory/.test(r.stderr)) {
      throw commandError("nft delete", r.stderr, r.status);
    }
  }

  /** Keys of the flows with a counter. */
  keys(): string[] {
    return [...this.#flows.keys()];
  }
}
