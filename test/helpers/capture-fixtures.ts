/**
 * Hand-made capture file fixtures for tests and benchmarks: classic pcap in either byte order and resolution, and pcapng
 * blocks (SHB, IDB with options, EPB, SPB, any other block) in either byte order. Written field by field from the
 * pcap and pcapng drafts, independently of the readers under test.
 */

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One classic pcap record: raw timestamp fields as written. */
export interface PcapFixtureRecord {
  seconds: number;
  /** Microseconds or nanoseconds, as the file's resolution says. */
  fraction: number;
  data: Uint8Array;
  origLen?: number;
}

/** Options of {@link pcapFixture}. */
export interface PcapFixtureOptions {
  littleEndian?: boolean;
  nanosecond?: boolean;
  linkType?: number;
  snapLen?: number;
  versionMajor?: number;
}

/** A classic pcap file in the requested byte order and resolution. */
export function pcapFixture(records: readonly PcapFixtureRecord[], options: PcapFixtureOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const head = new Uint8Array(24);
  const h = new DataView(head.buffer);
  h.setUint32(0, options.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le);
  h.setUint16(4, options.versionMajor ?? 2, le);
  h.setUint16(6, 4, le);
  h.setUint32(16, options.snapLen ?? 65535, le);
  h.setUint32(20, options.linkType ?? 1, le);
  const parts = [head];
  for (const r of records) {
    const rec = new Uint8Array(16 + r.data.length);
    const v = new DataView(rec.buffer);
    v.setUint32(0, r.seconds, le);
    v.setUint32(4, r.fraction, le);
    v.setUint32(8, r.data.length, le);
    v.setUint32(12, r.origLen ?? r.data.length, le);
    rec.set(r.data, 16);
    parts.push(rec);
  }
  return concat(...parts);
}

/** One pcapng option: code and raw value (padding is added). */
export interface PcapngFixtureOption {
  code: number;
  value: Uint8Array;
}

/** Encodes an options list, ending with opt_endofopt when any option is given. */
export function pcapngOptions(options: readonly PcapngFixtureOption[], le: boolean): Uint8Array {
  if (options.length === 0) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  for (const o of options) {
    const opt = new Uint8Array(4 + ((o.value.length + 3) & ~3));
    const v = new DataView(opt.buffer);
    v.setUint16(0, o.code, le);
    v.setUint16(2, o.value.length, le);
    opt.set(o.value, 4);
    parts.push(opt);
  }
  parts.push(new Uint8Array(4));
  return concat(...parts);
}

/** Any pcapng block: type, body (padded to 4 here) and Block Total Length at both ends. */
export function pcapngBlock(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const out = new Uint8Array(12 + padded);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, out.length, le);
  out.set(body, 8);
  v.setUint32(out.length - 4, out.length, le);
  return out;
}

/** A Section Header Block. */
export function shb(le: boolean, sectionLength = -1n, options: readonly PcapngFixtureOption[] = []): Uint8Array {
  const fixed = new Uint8Array(16);
  const v = new DataView(fixed.buffer);
  v.setUint32(0, 0x1a2b3c4d, le);
  v.setUint16(4, 1, le);
  v.setUint16(6, 0, le);
  v.setBigInt64(8, sectionLength, le);
  return pcapngBlock(0x0a0d0d0a, concat(fixed, pcapngOptions(options, le)), le);
}

/** Options of an Interface Description Block. */
export interface IdbFixture {
  linkType: number;
  snapLen?: number;
  /** Raw if_tsresol byte, omitted when undefined. */
  tsresol?: number;
  /** if_tsoffset seconds, omitted when undefined. */
  tsoffset?: bigint;
  name?: string;
}

/** An Interface Description Block. */
export function idb(le: boolean, f: IdbFixture): Uint8Array {
  const fixed = new Uint8Array(8);
  const v = new DataView(fixed.buffer);
  v.setUint16(0, f.linkType, le);
  v.setUint32(4, f.snapLen ?? 0, le);
  const options: PcapngFixtureOption[] = [];
  if (f.name !== undefined) options.push({ code: 2, value: new TextEncoder().encode(f.name) });
  if (f.tsresol !== undefined) options.push({ code: 9, value: Uint8Array.of(f.tsresol) });
  if (f.tsoffset !== undefined) {
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigInt64(0, f.tsoffset, le);
    options.push({ code: 14, value });
  }
  return pcapngBlock(1, concat(fixed, pcapngOptions(options, le)), le);
}

/** An Enhanced Packet Block; `units` is the raw 64-bit timestamp. */
export function epb(
  le: boolean,
  interfaceId: number,
  units: bigint,
  data: Uint8Array,
  origLen = data.length,
  options: readonly PcapngFixtureOption[] = [],
): Uint8Array {
  const fixed = new Uint8Array(20 + ((data.length + 3) & ~3));
  const v = new DataView(fixed.buffer);
  v.setUint32(0, interfaceId, le);
  v.setUint32(4, Number(units >> 32n), le);
  v.setUint32(8, Number(units & 0xffffffffn), le);
  v.setUint32(12, data.length, le);
  v.setUint32(16, origLen, le);
  fixed.set(data, 20);
  return pcapngBlock(6, concat(fixed, pcapngOptions(options, le)), le);
}

/** A Simple Packet Block holding `data` (the captured part) of a packet of `origLen` bytes. */
export function spb(le: boolean, data: Uint8Array, origLen = data.length): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  new DataView(body.buffer).setUint32(0, origLen, le);
  body.set(data, 4);
  return pcapngBlock(3, body, le);
}

/** Deterministic pseudo-random bytes (xorshift), for packet payloads. */
export function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A realistic Ethernet/IPv4/UDP frame of `length` bytes (at least 42): a valid-looking header and pseudo-random payload.
 */
export function ethernetIpv4Frame(length: number, seed = 1): Uint8Array {
  const f = pseudoRandomBytes(length, seed);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  const ipLen = length - 14;
  f.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  const udpLen = ipLen - 20;
  f.set([0x30, 0x39, 0x08, 0x07, udpLen >> 8, udpLen & 0xff, 0, 0], 34);
  return f;
}
