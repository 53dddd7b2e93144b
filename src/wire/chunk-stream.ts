/**
 * The input side of the incremental parsers (capture files, MRT streams): chunks pushed as they are read, consumed from
 * `buf` at `pos`. A unit (record, block) that spans chunks is copied once into an array of exactly its size; one that
 * lies within a chunk is read in place, so feeding many small chunks is never quadratic.
 */

const EMPTY = new Uint8Array(0);

/** Pushed chunks and the read position in them. */
export class ChunkStream {
  /** The bytes being read; `buf[pos]` is the next unconsumed byte. */
  buf: Uint8Array = EMPTY;
  /** Read position in `buf`. */
  pos = 0;
  /** Absolute stream offset of `buf[0]`. */
  base = 0;
  /** Bytes pushed after `buf`, not yet looked at. */
  queued = 0;
  #queue: Uint8Array[] = [];
  #head = 0;

  /** Absolute stream offset of the next unconsumed byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes pushed but not yet consumed. */
  get buffered(): number {
    return this.buf.length - this.pos + this.queued;
  }

  /** Appends a chunk (kept by reference: do not modify it afterwards). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.pos === this.buf.length && this.queued === 0) {
      this.base += this.buf.length;
      this.buf = chunk;
      this.pos = 0;
      return;
    }
    this.#queue.push(chunk);
    this.queued += chunk.length;
  }

  /**
   * Makes at least `need` bytes contiguous at `pos` if that many have been pushed (false otherwise, nothing changed);
   * copies only when they span chunks.
   */
  fill(need: number): boolean {
    let available = this.buf.length - this.pos;
    if (available >= need) return true;
    if (available + this.queued < need) return false;
    if (available === 0) {
      this.base += this.buf.length;
      this.buf = this.#shift();
      this.pos = 0;
      available = this.buf.length;
      if (available >= need) return true;
    }
    const merged = new Uint8Array(need);
    merged.set(this.buf.subarray(this.pos), 0);
    let at = available;
    while (at < need) {
      const chunk = this.#queue[this.#head];
      const n = Math.min(chunk.length, need - at);
      merged.set(n === chunk.length ? chunk : chunk.subarray(0, n), at);
      at += n;
      if (n === chunk.length) this.#shift();
      else {
        this.#queue[this.#head] = chunk.subarray(n);
        this.queued -= n;
      }
    }
    this.base += this.pos;
    this.buf = merged;
    this.pos = 0;
    return true;
  }

  /** Removes and returns the first queued chunk (amortised O(1)). */
  #shift(): Uint8Array {
    const chunk = this.#queue[this.#head];
    this.#queue[this.#head++] = EMPTY;
    this.queued -= chunk.length;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return chunk;
  }
}
