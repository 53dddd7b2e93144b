/** InterfaceMemoryBudget: all-or-nothing reservations under the limit, used/free for `show`, safe releases. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { MemoryBudgetError } from "../../src/collector/record-files/errors.ts";
import { InterfaceMemoryBudget } from "../../src/collector/record-files/memory-budget.ts";

describe("InterfaceMemoryBudget", () => {
  it("reserves whole amounts under the limit and reports used and free", () => {
    const b = new InterfaceMemoryBudget(10_000);
    assert.deepEqual(b.snapshot(), { used: 0, free: 10_000 });
    assert.equal(b.tryReserve(4096), true);
    assert.equal(b.tryReserve(4096), true);
    assert.equal(b.tryReserve(4096), false, "nothing is reserved when it does not all fit");
    assert.deepEqual(b.snapshot(), { used: 8192, free: 1808 });
    assert.equal(b.tryReserve(1808), true, "exactly the limit fits");
    assert.equal(b.free, 0);
    b.release(4096);
    assert.equal(b.used, 10_000 - 4096);
    assert.equal(b.peak, 10_000);
  });

  it("never goes negative: an excess release clears and is counted, a bad amount is ignored and counted", () => {
    const b = new InterfaceMemoryBudget(100);
    b.tryReserve(10);
    b.release(20);
    assert.equal(b.used, 0);
    b.tryReserve(10);
    b.release(Number.NaN);
    b.release(-1);
    assert.equal(b.used, 10);
    assert.equal(b.underflows, 3);
  });

  it("rejects invalid limits and reservations with ERR_MEMORY_BUDGET", () => {
    assert.throws(() => new InterfaceMemoryBudget(-1), { code: "ERR_MEMORY_BUDGET" });
    assert.throws(() => new InterfaceMemoryBudget(1.5), MemoryBudgetError);
    assert.throws(() => new InterfaceMemoryBudget(10).tryReserve(Number.NaN), { code: "ERR_MEMORY_BUDGET" });
  });

  it("used stays within [0, limit] under any sequence of reservations and releases", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 << 20 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1 << 18 })), { maxLength: 200 }),
        (limit, steps) => {
          const b = new InterfaceMemoryBudget(limit);
          const held: number[] = [];
          for (const [reserve, n] of steps) {
            if (reserve) {
              const before = b.used;
              const ok = b.tryReserve(n);
              assert.equal(ok, before + n <= limit);
              if (ok) held.push(n);
            } else if (held.length > 0) {
              b.release(held.pop()!);
            }
            assert.ok(b.used >= 0 && b.used <= limit);
            assert.equal(b.used + b.free, limit);
          }
          assert.equal(
            b.used,
            held.reduce((a, x) => a + x, 0),
          );
          assert.equal(b.underflows, 0);
        },
      ),
    );
  });
});
