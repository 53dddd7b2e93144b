/**
 * The memory budget of one collector interface (`memory-limit`, flow-collector.txt "Memory: Used: N, Free: M" and the
 * note "If the memory for a flow collector interface is full, the interface might drop incoming packets"). It accounts
 * the bytes of record blocks from their allocation until their gzip member is on disk; whoever cannot reserve what it
 * needs drops its work and counts it ("Blocks unavailable", "No memory"), so memory stays bounded at any input rate.
 */
import type { MemoryBudget } from "../contracts.ts";
import { MemoryBudgetError } from "./errors.ts";

function checkBytes(what: string, bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new MemoryBudgetError(`${what} must be a non-negative safe integer of bytes, got ${bytes}`);
  }
}

/**
 * A byte counter with a hard limit: {@link tryReserve} either reserves everything asked for or nothing. Single-threaded
 * (the event loop), so no locking.
 */
export class InterfaceMemoryBudget implements MemoryBudget {
  /** The limit, bytes. */
  readonly limit: number;
  #used = 0;
  #peak = 0;
  #underflows = 0;

  /**
   * @param limit bytes that may be reserved at once (the interface's `memory-limit`).
   * @throws MemoryBudgetError `ERR_MEMORY_BUDGET` when `limit` is not a non-negative safe integer.
   */
  constructor(limit: number) {
    checkBytes("memory limit", limit);
    this.limit = limit;
  }

  /** Bytes reserved now ("Memory: Used"). */
  get used(): number {
    return this.#used;
  }

  /** Bytes still available under the limit ("Memory: Free"). */
  get free(): number {
    return this.limit - this.#used;
  }

  /** Highest `used` seen since creation. */
  get peak(): number {
    return this.#peak;
  }

  /** Releases of more than was reserved (a bug if ever non-zero; the excess is ignored). */
  get underflows(): number {
    return this.#underflows;
  }

  /**
   * Reserves `bytes` if they fit under the limit; returns false, reserving nothing, otherwise.
   * @throws MemoryBudgetError `ERR_MEMORY_BUDGET` when `bytes` is not a non-negative safe integer.
   */
  tryReserve(bytes: number): boolean {
    checkBytes("reservation", bytes);
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
    return true;
  }

  /**
   * Gives back `bytes` reserved earlier. Never throws (it runs in write-completion callbacks): releasing more than is
   * reserved leaves `used` at 0, and a negative or non-numeric amount is ignored; both count an underflow.
   */
  release(bytes: number): void {
    if (!(bytes >= 0)) {
      this.#underflows++;
    } else if (bytes > this.#used) {
      this.#underflows++;
      this.#used = 0;
    } else {
      this.#used -= bytes;
    }
  }

  /** The figures `show services flow-collector interface ... extensive` prints under "Memory". */
  snapshot(): { used: number; free: number } {
    return { used: this.#used, free: this.free };
  }
}
