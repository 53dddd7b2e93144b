/**
 * The input interfaces of one collector interface (flow-collector.txt, `show services flow-collector input interface
 * cp-6/0/0`: `mo-7/1/0.0 6170 8941592`): which configured input a received datagram belongs to, by the exporter's
 * source address and the engine type/id of the NetFlow header. Matching order (docs/collector.md, "Input interfaces"):
 *
 * 1. inputs whose `exporter` is the datagram's source address (IPv4, or IPv6 compared in canonical form; an
 *    IPv4-mapped IPv6 address such as `::ffff:192.0.2.1` from a dual-stack socket counts as the IPv4 address);
 * 2. among those, the most specific engine match wins: engine type and id both configured and equal, then one of them
 *    configured and equal, then neither configured; equally specific inputs are taken in configuration order;
 * 3. when none of them matches, the `exporter: any` inputs, in the same way.
 *
 * No match means the datagram is dropped as "Unknown". Lookups are allocation-free once a source address has been
 * seen: the candidates of each address are cached (at most {@link INPUT_MAP_CACHE_LIMIT} addresses).
 */
import { isIP } from "node:net";
import { ifAliasFromName } from "../../wire/collector-file-name.ts";
import type { NetflowV8MaskOrder } from "../../wire/netflow-v8-schemes.ts";
import type { CollectorInputConfig } from "../config.ts";

/** Distinct source addresses whose candidate lists are cached; the cache is emptied when it would grow beyond this. */
export const INPUT_MAP_CACHE_LIMIT = 4096;

/** One configured input, ready for the hot path. */
export interface ResolvedInput {
  /** Input name as configured, e.g. `mo-7/1/0.0`. */
  readonly name: string;
  /** Position in the configuration (index into the status' `inputs`). */
  readonly index: number;
  /** Exporter address in canonical form (`192.0.2.1`, `2001:db8::1`), or `any`. */
  readonly exporter: string;
  /** Engine type the input is restricted to (0-255), or undefined for every engine type. */
  readonly engineType: number | undefined;
  /** Engine id the input is restricted to (0-255), or undefined for every engine id. */
  readonly engineId: number | undefined;
  /** ifAlias written into this input's records and file names (`if-alias`, else derived from the name). */
  readonly ifAlias: string;
  /** Mask byte order of this exporter's v8 schemes 5, 13 and 14. */
  readonly maskOrder: NetflowV8MaskOrder;
  /** Export channels whose record files get this input's records. */
  readonly channels: readonly (0 | 1)[];
  /** 2 = engine type and id configured, 1 = one of them, 0 = neither. */
  readonly specificity: number;
}

interface CacheEntry {
  /** The source address in canonical form (the exporter part of sequence stream keys). */
  readonly address: string;
  /** Inputs that may match, best first: this address' inputs, then the `any` inputs. */
  readonly candidates: readonly ResolvedInput[];
}

const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * The canonical text of an exporter address: IPv4 dotted quad as given; IPv6 lower-case and compressed (RFC 5952, as
 * the WHATWG URL parser writes it) with any `%zone` removed; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, in any
 * spelling) becomes its IPv4 address. Text that is not an IP address is returned unchanged.
 */
export function normalizeExporterAddress(address: string): string {
  const zone = address.indexOf("%");
  const bare = zone < 0 ? address : address.slice(0, zone);
  const family = isIP(bare);
  if (family !== 6) return family === 4 ? bare : address;
  const host = new URL(`http://[${bare}]/`).hostname;
  const canonical = host.slice(1, -1);
  const m = MAPPED_IPV4.exec(canonical);
  if (m === null) return canonical;
  const hi = Number.parseInt(m[1], 16);
  const lo = Number.parseInt(m[2], 16);
  return `${hi >>> 8}.${hi & 0xff}.${lo >>> 8}.${lo & 0xff}`;
}

function specificityOf(c: CollectorInputConfig): number {
  return (c["engine-type"] === undefined ? 0 : 1) + (c["engine-id"] === undefined ? 0 : 1);
}

function resolveInput(name: string, index: number, c: CollectorInputConfig): ResolvedInput {
  return Object.freeze({
    name,
    index,
    exporter: c.exporter === "any" ? "any" : normalizeExporterAddress(c.exporter),
    engineType: c["engine-type"],
    engineId: c["engine-id"],
    ifAlias: c["if-alias"] ?? ifAliasFromName(name),
    maskOrder: c["mask-order"],
    channels: Object.freeze([...c.channels]),
    specificity: specificityOf(c),
  });
}

/** Most specific first; configuration order among equals (Array.prototype.sort is stable). */
function bestFirst(list: ResolvedInput[]): ResolvedInput[] {
  return list.sort((a, b) => b.specificity - a.specificity);
}

/** Whether `input` accepts a datagram of this engine type and id. */
export function inputMatchesEngine(input: ResolvedInput, engineType: number, engineId: number): boolean {
  return (
    (input.engineType === undefined || input.engineType === engineType) &&
    (input.engineId === undefined || input.engineId === engineId)
  );
}

/** Resolves datagrams to the configured inputs of one collector interface; see the module comment for the order. */
export class InputMap {
  /** Every input in configuration order (`index` is the position here). */
  readonly inputs: readonly ResolvedInput[];
  private readonly byExporter = new Map<string, ResolvedInput[]>();
  private readonly anyInputs: readonly ResolvedInput[];
  private readonly cache = new Map<string, CacheEntry>();
  /** The source address of the latest lookup and its entry: a datagram's input and exporter cost one lookup. */
  private lastSource = "";
  private lastEntry: CacheEntry | undefined;

  /** @param inputs the validated `inputs` of a collector interface, by name, in configuration order. */
  constructor(inputs: Readonly<Record<string, CollectorInputConfig>>) {
    this.inputs = Object.freeze(Object.entries(inputs).map(([name, c], i) => resolveInput(name, i, c)));
    const any: ResolvedInput[] = [];
    for (const input of this.inputs) {
      if (input.exporter === "any") {
        any.push(input);
        continue;
      }
      const list = this.byExporter.get(input.exporter);
      if (list === undefined) this.byExporter.set(input.exporter, [input]);
      else list.push(input);
    }
    for (const list of this.byExporter.values()) bestFirst(list);
    this.anyInputs = Object.freeze(bestFirst(any));
  }

  /**
   * The input of a datagram from `sourceAddress` (as the socket reports it) whose header carries `engineType` and
   * `engineId`, or undefined when no input takes it ("Unknown").
   */
  resolve(sourceAddress: string, engineType: number, engineId: number): ResolvedInput | undefined {
    const candidates = this.entry(sourceAddress).candidates;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (inputMatchesEngine(c, engineType, engineId)) return c;
    }
    return undefined;
  }

  /** The canonical form of `sourceAddress` (see {@link normalizeExporterAddress}), cached. */
  exporterAddress(sourceAddress: string): string {
    return this.entry(sourceAddress).address;
  }

  /** The input named `name`, or undefined. */
  byName(name: string): ResolvedInput | undefined {
    return this.inputs.find((i) => i.name === name);
  }

  private entry(sourceAddress: string): CacheEntry {
    if (sourceAddress === this.lastSource && this.lastEntry !== undefined) return this.lastEntry;
    let e = this.cache.get(sourceAddress);
    if (e !== undefined) {
      this.lastSource = sourceAddress;
      this.lastEntry = e;
      return e;
    }
    const address = normalizeExporterAddress(sourceAddress);
    const own = this.byExporter.get(address);
    const candidates = own === undefined ? this.anyInputs : Object.freeze([...own, ...this.anyInputs]);
    e = { address, candidates };
    if (this.cache.size >= INPUT_MAP_CACHE_LIMIT) this.cache.clear();
    this.cache.set(sourceAddress, e);
    this.lastSource = sourceAddress;
    this.lastEntry = e;
    return e;
  }
}
