import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { z } from "zod";
import { SizeError } from "../../src/runtime/errors.ts";
import { formatSize, parseSize, SIZE_UNITS, sizeSchema } from "../../src/runtime/size.ts";

describe("parseSize", () => {
  it("reads binary, decimal and shorthand units", () => {
    assert.equal(parseSize("4MiB"), 4 * 1024 * 1024);
    assert.equal(parseSize("512k"), 512 * 1024);
    assert.equal(parseSize("512K"), 512 * 1024);
    assert.equal(parseSize("2G"), 2 * 1024 ** 3);
    assert.equal(parseSize("1kB"), 1000);
    assert.equal(parseSize("3MB"), 3_000_000);
    assert.equal(parseSize("65536"), 65_536);
    assert.equal(parseSize("10B"), 10);
    assert.equal(parseSize("1.5KiB"), 1536);
    assert.equal(parseSize("0"), 0);
  });

  it("rejects malformed sizes with SizeError", () => {
    for (const bad of ["", "MiB", "4 MiB", "4mib", "4XB", "-1", "0.3B", "1.5", "4Mi", "1e3"]) {
      assert.throws(
        () => parseSize(bad),
        (e: unknown) => e instanceof SizeError && e.code === "ERR_SIZE",
        `accepted ${JSON.stringify(bad)}`,
      );
    }
    assert.throws(() => parseSize("99999999TiB"), SizeError);
  });

  it("multiplies the number by the unit for every unit", () => {
    fc.assert(
      fc.property(fc.nat({ max: 4096 }), fc.constantFrom(...Object.keys(SIZE_UNITS)), (n, unit) => {
        assert.equal(parseSize(`${n}${unit}`), n * SIZE_UNITS[unit]!);
      }),
    );
  });
});

describe("formatSize", () => {
  it("uses the largest exact binary unit", () => {
    assert.equal(formatSize(0), "0B");
    assert.equal(formatSize(1000), "1000B");
    assert.equal(formatSize(4 * 1024 * 1024), "4MiB");
    assert.equal(formatSize(1536), "1536B");
    assert.equal(formatSize(3 * 1024 ** 4), "3TiB");
  });

  it("round-trips every safe byte count", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat(),
          fc.maxSafeNat(),
          fc.nat({ max: 2 ** 20 }).map((n) => n * 1024),
        ),
        (bytes) => {
          assert.equal(parseSize(formatSize(bytes)), bytes);
        },
      ),
    );
  });

  it("rejects negative and fractional values", () => {
    assert.throws(() => formatSize(-1), SizeError);
    assert.throws(() => formatSize(0.5), SizeError);
  });
});

describe("sizeSchema", () => {
  const schema = z.strictObject({ buffer: sizeSchema({ min: "4KiB", max: "1GiB" }) });

  it("decodes strings and plain byte counts, encodes the canonical form", () => {
    assert.deepEqual(schema.parse({ buffer: "8MiB" }), { buffer: 8 * 1024 * 1024 });
    assert.deepEqual(schema.parse({ buffer: 8192 }), { buffer: 8192 });
    assert.deepEqual(z.encode(schema, { buffer: 8192 }), { buffer: "8KiB" });
  });

  it("enforces bounds and the unit grammar", () => {
    assert.match(schema.safeParse({ buffer: "1k" }).error!.issues[0]!.message, /at least 4KiB/);
    assert.match(schema.safeParse({ buffer: "2GiB" }).error!.issues[0]!.message, /at most 1GiB/);
    assert.match(schema.safeParse({ buffer: 4096.5 }).error!.issues[0]!.message, /whole number of bytes/);
    assert.match(schema.safeParse({ buffer: "lots" }).error!.issues[0]!.message, /invalid size/);
  });
});
