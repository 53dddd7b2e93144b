/**
 * Small helpers shared by the codec tests under test/wire: hex fixtures to bytes, error probes for WireError codes and
 * offsets, chunked capture parsing, fast-check arbitraries for unsigned fields and text-parser fuzzing.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type CapturedPacket, CaptureParser } from "../../src/wire/capture-parser.ts";
import { WireError } from "../../src/wire/errors.ts";

export { concat } from "../helpers/capture-fixtures.ts";

/**
 * Hex text to bytes: whitespace and `# comments` (to the end of the line) are ignored. Throws on an odd number of
 * digits or a character that is not a hex digit, so a mistyped fixture fails loudly instead of being cut short.
 */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex fixture: ${JSON.stringify(clean.slice(0, 40))}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

/** Runs `fn`; it may return or throw a WireError, anything else it throws fails the test. */
export function onlyWireErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `unexpected ${String(e)}`);
  }
}

/** The WireError `fn` throws; fails the test when it throws anything else or nothing. */
export function thrown(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `expected a WireError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected an error");
}

/** The code of the WireError `fn` throws, or "no error" when it returns; fails the test on any other error. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `expected a WireError, got ${String(e)}`);
    return e.code;
  }
  return "no error";
}

/** Asserts that `fn` throws a WireError with `code` and, when given, at byte/character `offset`. */
export function expectError(fn: () => unknown, code: string, offset?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof WireError, `not a WireError: ${e}`);
    assert.equal(e.code, code);
    if (offset !== undefined) assert.equal(e.offset, offset);
    return true;
  });
}

/** Feeds `bytes` to a CaptureParser in chunks of `size` bytes and collects every packet (end of input included). */
export function parseInChunks(bytes: Uint8Array, size: number): CapturedPacket[] {
  const parser = new CaptureParser();
  const out: CapturedPacket[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    parser.push(bytes.subarray(at, at + size));
    for (const p of parser.drain()) out.push(p);
  }
  parser.end();
  for (const p of parser.drain()) out.push(p);
  return out;
}

/** Any unsigned 8-bit value. */
export const u8 = fc.integer({ min: 0, max: 0xff });
/** Any unsigned 16-bit value. */
export const u16 = fc.integer({ min: 0, max: 0xffff });
/** Any unsigned 32-bit value. */
export const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Arbitraries for the header fields NetFlow v5 and v8 share, each over its full unsigned width. */
export const NETFLOW_HEADER_FIELDS = {
  sysUptime: u32,
  unixSecs: u32,
  unixNsecs: u32,
  flowSequence: u32,
  engineType: u8,
  engineId: u8,
};

/**
 * Arbitraries for the 18 flow fields of a NetflowV5 record (and the local-dump rendering of one), each over its full
 * unsigned width; the two pad fields are left to the caller.
 */
export const NETFLOW_V5_FLOW_FIELDS = {
  srcAddr: u32,
  dstAddr: u32,
  nextHop: u32,
  input: u16,
  output: u16,
  dPkts: u32,
  dOctets: u32,
  first: u32,
  last: u32,
  srcPort: u16,
  dstPort: u16,
  tcpFlags: u8,
  prot: u8,
  tos: u8,
  srcAs: u16,
  dstAs: u16,
  srcMask: u8,
  dstMask: u8,
};

/**
 * Property: `parse` returns or throws a WireError on `good` with up to `maxInsert` random characters inserted and up
 * to `maxDrop` characters dropped at any position.
 */
export function assertSurvivesMangling(
  good: string,
  parse: (text: string) => unknown,
  maxInsert: number,
  maxDrop: number,
): void {
  fc.assert(
    fc.property(fc.nat(good.length), fc.string({ maxLength: maxInsert }), fc.nat(maxDrop), (at, insert, drop) => {
      onlyWireErrors(() => parse(good.slice(0, at) + insert + good.slice(at + drop)));
    }),
  );
}

/** Property: `parse(format(x))` gives back `x` for every byte string of `length` bytes (address text round trip). */
export function assertTextRoundTrip(
  length: number,
  parse: (text: string) => Uint8Array,
  format: (bytes: Uint8Array) => string,
): void {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: length, maxLength: length }), (bytes) => {
      assert.deepEqual(parse(format(bytes)), bytes);
    }),
  );
}

/** Asserts that `parse` throws a WireError with `code` for each of `bad` (the input is the assertion message). */
export function assertRejectsEach(parse: (text: string) => unknown, bad: readonly string[], code: string): void {
  for (const input of bad) {
    assert.throws(
      () => parse(input),
      (e) => e instanceof WireError && e.code === code,
      input,
    );
  }
}
