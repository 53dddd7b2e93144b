/**
 * The exporter's flow cache: sampled IPv4 packets are accounted into unidirectional flows keyed by (source,
 * destination, protocol, source port, destination port, ToS, input ifIndex), the key of a v5 record
 * (spec/cflowd-v5-format.txt Table 16). Each flow keeps dPkts, dOctets, first and last packet times (epoch ms), the OR
 * of its TCP flags and the output ifIndex of its first packet.
 *
 * A flow ends (and is returned by {@link FlowCache.expire}) when:
 * - **inactive**: no packet for `inactiveTimeoutMs` (Junos `flow-inactive-timeout`, default 60 s);
 * - **active**: it has lived `activeTimeoutMs` (Junos `flow-active-timeout`, default 1800 s), so long-lived flows
 *   are reported while they last; the next packet starts a new flow;
 * - **tcp-close**: `tcpCloseTimeoutMs` (default 5 s) after a TCP segment with FIN or RST, without further packets
 *   extending it. softflowd ends TCP flows the same way (its `tcp.rst` and `tcp.fin` timeouts, 5 s by default);
 *   softflowd's flows are bidirectional and need a FIN from both ends, ours are one direction and need that
 *   direction's FIN (or a RST). The short delay folds the final ACK of a teardown into the flow;
 * - **evicted**: the cache is full (`maxFlows`) and a new flow needs room: the least recently updated flow is ended,
 *   as softflowd's forced expiry does; counted in `evicted`;
 * - **counter-limit**: one more packet would take dPkts or dOctets past 2^32 - 1 (the v5 field width); the packet
 *   starts a new flow;
 * - **flushed**: {@link FlowCache.flushAll} (shutdown).
 *
 * Hot path: the table is open addressing with linear probing over typed arrays (no objects per flow while it lives;
 * one {@link FlowRecord} when it ends); deletion shifts entries back, so there are no tombstones. Expiry walks three
 * intrusive lists (least recently updated first for open and closing flows, oldest first for the active timeout),
 * touching only flows that end. Packet times should be non-decreasing; a packet older than its flow's `last` does not
 * move `last` back.
 */
import { RuntimeError } from "../runtime/errors.ts";
import type { PacketInfo } from "./packet-parser.ts";

/** Why a flow ended. */
export type FlowEndReason = "inactive" | "active" | "tcp-close" | "evicted" | "counter-limit" | "flushed";

/** A finished flow, as the v5 batcher and v8 aggregator take it. Times are epoch milliseconds. */
export interface FlowRecord {
  srcAddr: number;
  dstAddr: number;
  prot: number;
  srcPort: number;
  /** Destination port, or ICMP type << 8 | code. */
  dstPort: number;
  tos: number;
  /** Input SNMP ifIndex (part of the key). */
  input: number;
  /** Output SNMP ifIndex of the flow's first packet. */
  output: number;
  /** Packets, at most 2^32 - 1. */
  dPkts: number;
  /** Layer-3 bytes, at most 2^32 - 1. */
  dOctets: number;
  /** Time of the first packet, epoch ms. */
  firstMs: number;
  /** Time of the last packet, epoch ms. */
  lastMs: number;
  /** OR of the TCP flags of every packet. */
  tcpFlags: number;
  /** Why the flow ended. */
  reason: FlowEndReason;
}

/** Flow cache settings. */
export interface FlowCacheOptions {
  /** Most flows held at once, 1..2^24 (default 65536). */
  maxFlows?: number;
  /** End flows after this long, ms (default 1 800 000, Junos `flow-active-timeout`). */
  activeTimeoutMs?: number;
  /** End flows idle this long, ms (default 60 000, Junos `flow-inactive-timeout`). */
  inactiveTimeoutMs?: number;
  /** End TCP flows this long after a FIN or RST, ms (default 5000; 0 ends them at the next expire). */
  tcpCloseTimeoutMs?: number;
}

/** Counters of a {@link FlowCache}. */
export interface FlowCacheCounters {
  /** Packets accounted. */
  packets: number;
  /** Flows created. */
  created: number;
  /** Flows ended, by reason (`evicted`: ended early because the cache was full). */
  inactive: number;
  active: number;
  tcpClose: number;
  evicted: number;
  counterLimit: number;
  flushed: number;
}

/** A flow cache setting out of range. Code `ERR_FLOW_CACHE_OPTION`. */
export class FlowCacheOptionError extends RuntimeError {
  constructor(message: string) {
    super("ERR_FLOW_CACHE_OPTION", message);
  }
}

const NIL = -1;
const U32_MAX = 0xffffffff;
const TCP_FIN_RST = 0x05; // FIN | RST
const IPPROTO_TCP = 6;
/** The two last-update lists an entry can be in (its #list value). */
const OPEN = 0;
const CLOSING = 1;

function checkNumber(name: string, v: number, min: number, max: number, integer: boolean): number {
  if (!(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
    throw new FlowCacheOptionError(`flow cache ${name} ${v} is out of range ${min}..${max}`);
  }
  return v;
}

/** MurmurHash3's 32-bit block mix, for one key word. */
function mixWord(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  h ^= Math.imul(x, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Hash of a flow key given as four 32-bit words (MurmurHash3 mixing and finaliser). */
export function flowKeyHash(w0: number, w1: number, w2: number, w3: number): number {
  let h = mixWord(mixWord(mixWord(mixWord(0x2545f491, w0), w1), w2), w3);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A bounded flow cache; see the module comment for when flows end. */
export class FlowCache {
  /** Running counters. */
  readonly counters: FlowCacheCounters = {
    packets: 0,
    created: 0,
    inactive: 0,
    active: 0,
    tcpClose: 0,
    evicted: 0,
    counterLimit: 0,
    flushed: 0,
  };
  readonly #activeMs: number;
  readonly #inactiveMs: number;
  readonly #closeMs: number;
  readonly #mask: number;
  /** Open-addressing index of [entry id or NIL, key hash] pairs: a probe reads one cache line. */
  readonly #table: Int32Array;
  // Entries: struct of arrays by entry id. Key words: src, dst, sport<<16|dport, prot<<24|tos<<16|input.
  readonly #keys: Uint32Array;
  readonly #hash: Int32Array;
  readonly #pkts: Float64Array;
  readonly #octets: Float64Array;
  readonly #first: Float64Array;
  readonly #last: Float64Array;
  readonly #flags: Uint8Array;
  readonly #output: Uint16Array;
  readonly #list: Uint8Array;
  // Intrusive lists: by last update (open or closing list, per #list) and by creation (age list).
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #agePrev: Int32Array;
  readonly #ageNext: Int32Array;
  readonly #heads = new Int32Array([NIL, NIL]);
  readonly #tails = new Int32Array([NIL, NIL]);
  #ageHead = NIL;
  #ageTail = NIL;
  #freeHead = 0;
  #size = 0;
  /** Flows ended between expire calls (evicted, counter-limit), returned by the next expire. */
  readonly #pending: FlowRecord[] = [];

  /** @throws FlowCacheOptionError `ERR_FLOW_CACHE_OPTION` for a setting out of range. */
  constructor(options: FlowCacheOptions = {}) {
    const max = checkNumber("maxFlows", options.maxFlows ?? 65536, 1, 2 ** 24, true);
    this.#activeMs = checkNumber("activeTimeoutMs", options.activeTimeoutMs ?? 1_800_000, 0, 2 ** 31 - 1, false);
    this.#inactiveMs = checkNumber("inactiveTimeoutMs", options.inactiveTimeoutMs ?? 60_000, 0, 2 ** 31 - 1, false);
    this.#closeMs = checkNumber("tcpCloseTimeoutMs", options.tcpCloseTimeoutMs ?? 5000, 0, 2 ** 31 - 1, false);
    const slots = 2 ** Math.ceil(Math.log2(max * 2));
    this.#mask = slots - 1;
    this.#table = new Int32Array(slots * 2).fill(NIL);
    this.#keys = new Uint32Array(max * 4);
    this.#hash = new Int32Array(max);
    this.#pkts = new Float64Array(max);
    this.#octets = new Float64Array(max);
    this.#first = new Float64Array(max);
    this.#last = new Float64Array(max);
    this.#flags = new Uint8Array(max);
    this.#output = new Uint16Array(max);
    this.#list = new Uint8Array(max);
    this.#prev = new Int32Array(max);
    this.#next = new Int32Array(max);
    this.#agePrev = new Int32Array(max);
    // The free list threads through #ageNext while an entry is unused.
    this.#ageNext = new Int32Array(max);
    for (let i = 0; i < max; i++) this.#ageNext[i] = i + 1 < max ? i + 1 : NIL;
  }

  /** Flows held now. */
  get size(): number {
    return this.#size;
  }

  /** Accounts one packet (a parsed IPv4 packet that was sampled). Allocates nothing unless a flow ends early. */
  add(p: PacketInfo): void {
    this.counters.packets++;
    const w0 = p.srcAddr >>> 0;
    const w1 = p.dstAddr >>> 0;
    const w2 = ((p.srcPort << 16) | p.dstPort) >>> 0;
    const w3 = ((p.prot << 24) | (p.tos << 16) | (p.input & 0xffff)) >>> 0;
    const h = flowKeyHash(w0, w1, w2, w3) | 0;
    let e = this.#find(h, w0, w1, w2, w3);
    if (e !== NIL && (this.#pkts[e] + 1 > U32_MAX || this.#octets[e] + p.ipLength > U32_MAX)) {
      this.counters.counterLimit++;
      this.#end(e, "counter-limit", this.#pending);
      e = NIL;
    }
    if (e === NIL) {
      e = this.#insert(h, w0, w1, w2, w3, p);
    } else {
      this.#pkts[e]++;
      this.#octets[e] += p.ipLength;
      if (p.timestampMs > this.#last[e]) this.#last[e] = p.timestampMs;
      this.#flags[e] |= p.tcpFlags;
      this.#unlink(e);
    }
    const closing = this.#list[e] === CLOSING || (p.prot === IPPROTO_TCP && (p.tcpFlags & TCP_FIN_RST) !== 0);
    this.#append(e, closing ? CLOSING : OPEN);
  }

  /**
   * Ends the flows whose timeout has passed at `nowMs` (epoch ms) and appends them to `out` (returned), after the
   * flows ended early since the last call (evicted, counter-limit). Order: early ends, then TCP closes, inactive and
   * active timeouts, each oldest first.
   */
  expire(nowMs: number, out: FlowRecord[] = []): FlowRecord[] {
    this.#takePending(out);
    const c = this.counters;
    for (let e = this.#heads[CLOSING]; e !== NIL && nowMs - this.#last[e] >= this.#closeMs; e = this.#heads[CLOSING]) {
      c.tcpClose++;
      this.#end(e, "tcp-close", out);
    }
    for (let e = this.#heads[OPEN]; e !== NIL && nowMs - this.#last[e] >= this.#inactiveMs; e = this.#heads[OPEN]) {
      c.inactive++;
      this.#end(e, "inactive", out);
    }
    for (let e = this.#ageHead; e !== NIL && nowMs - this.#first[e] >= this.#activeMs; e = this.#ageHead) {
      c.active++;
      this.#end(e, "active", out);
    }
    return out;
  }

  /** Ends every flow (reason `flushed`, oldest first) after any early ends, appending to `out` (returned). */
  flushAll(out: FlowRecord[] = []): FlowRecord[] {
    this.#takePending(out);
    for (let e = this.#ageHead; e !== NIL; e = this.#ageHead) {
      this.counters.flushed++;
      this.#end(e, "flushed", out);
    }
    return out;
  }

  #takePending(out: FlowRecord[]): void {
    for (const r of this.#pending) out.push(r);
    this.#pending.length = 0;
  }

  #find(h: number, w0: number, w1: number, w2: number, w3: number): number {
    const table = this.#table;
    const mask = this.#mask;
    const keys = this.#keys;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = table[2 * i];
      if (e === NIL) return NIL;
      const k = 4 * e;
      if (table[2 * i + 1] === h && keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) {
        return e;
      }
    }
  }

  #insert(h: number, w0: number, w1: number, w2: number, w3: number, p: PacketInfo): number {
    if (this.#size === this.#pkts.length) {
      // Evict the least recently updated flow (the older head of the two last-update lists).
      const a = this.#heads[OPEN];
      const b = this.#heads[CLOSING];
      const victim = a === NIL ? b : b === NIL ? a : this.#last[b] < this.#last[a] ? b : a;
      this.counters.evicted++;
      this.#end(victim, "evicted", this.#pending);
    }
    const e = this.#freeHead;
    this.#freeHead = this.#ageNext[e];
    const table = this.#table;
    const mask = this.#mask;
    let i = h & mask;
    while (table[2 * i] !== NIL) i = (i + 1) & mask;
    table[2 * i] = e;
    table[2 * i + 1] = h;
    const k = 4 * e;
    this.#keys[k] = w0;
    this.#keys[k + 1] = w1;
    this.#keys[k + 2] = w2;
    this.#keys[k + 3] = w3;
    this.#hash[e] = h;
    this.#pkts[e] = 1;
    this.#octets[e] = p.ipLength;
    this.#first[e] = p.timestampMs;
    this.#last[e] = p.timestampMs;
    this.#flags[e] = p.tcpFlags;
    this.#output[e] = p.output;
    this.#list[e] = OPEN;
    // Append to the age list.
    this.#agePrev[e] = this.#ageTail;
    this.#ageNext[e] = NIL;
    if (this.#ageTail === NIL) this.#ageHead = e;
    else this.#ageNext[this.#ageTail] = e;
    this.#ageTail = e;
    this.#size++;
    this.counters.created++;
    return e;
  }

  /** Appends entry `e` (not in any last-update list) to the tail of list `which`. */
  #append(e: number, which: number): void {
    const tail = this.#tails[which];
    this.#list[e] = which;
    this.#prev[e] = tail;
    this.#next[e] = NIL;
    if (tail === NIL) this.#heads[which] = e;
    else this.#next[tail] = e;
    this.#tails[which] = e;
  }

  /** Removes entry `e` from its last-update list. */
  #unlink(e: number): void {
    const which = this.#list[e];
    const prev = this.#prev[e];
    const next = this.#next[e];
    if (prev === NIL) this.#heads[which] = next;
    else this.#next[prev] = next;
    if (next === NIL) this.#tails[which] = prev;
    else this.#prev[next] = prev;
  }

  /** Ends flow `e`: its record goes to `out`, the entry is removed from the lists and the table and freed. */
  #end(e: number, reason: FlowEndReason, out: FlowRecord[]): void {
    const k2 = this.#keys[4 * e + 2];
    const k3 = this.#keys[4 * e + 3];
    out.push({
      srcAddr: this.#keys[4 * e],
      dstAddr: this.#keys[4 * e + 1],
      prot: k3 >>> 24,
      srcPort: k2 >>> 16,
      dstPort: k2 & 0xffff,
      tos: (k3 >>> 16) & 0xff,
      input: k3 & 0xffff,
      output: this.#output[e],
      dPkts: this.#pkts[e],
      dOctets: this.#octets[e],
      firstMs: this.#first[e],
      lastMs: this.#last[e],
      tcpFlags: this.#flags[e],
      reason,
    });
    this.#unlink(e);
    const ap = this.#agePrev[e];
    const an = this.#ageNext[e];
    if (ap === NIL) this.#ageHead = an;
    else this.#ageNext[ap] = an;
    if (an === NIL) this.#ageTail = ap;
    else this.#agePrev[an] = ap;
    this.#deleteSlot(e);
    this.#ageNext[e] = this.#freeHead;
    this.#freeHead = e;
    this.#size--;
  }

  /** Removes entry `e` from the index, shifting later entries of its probe run back (no tombstones). */
  #deleteSlot(e: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = this.#hash[e] & mask;
    while (table[2 * i] !== e) i = (i + 1) & mask;
    table[2 * i] = NIL;
    for (let j = (i + 1) & mask; table[2 * j] !== NIL; j = (j + 1) & mask) {
      const h = table[2 * j + 1];
      const home = h & mask;
      // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        table[2 * i] = table[2 * j];
        table[2 * i + 1] = h;
        table[2 * j] = NIL;
        i = j;
      }
    }
  }
}
