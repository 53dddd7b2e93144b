/**
 * The interface-level figures of the record files (flow-collector.txt, `show services flow-collector interface X
 * extensive`): "Allocation" (blocks allocated, freed, unavailable), "Files created", "Throughput" (uncompressed and
 * compressed bytes), plus the disk errors and the records lost with dropped blocks. Shared by all writers of one
 * interface; counting is one addition; {@link tick} is driven about once a second by the owner.
 */
import { RateCounter, type RateValue } from "../rate-counter.ts";

/** The counters as plain data, in the status model's shapes (`InterfaceStatus.allocation`, `.throughput`...). */
export interface RecordFileCountersSnapshot {
  allocation: { blocksAllocated: RateValue; blocksFreed: RateValue; blocksUnavailable: RateValue };
  files: { created: RateValue };
  throughput: { uncompressedBytes: RateValue; compressedBytes: RateValue };
  /** Failed file operations (full disk, permission, I/O error). */
  diskErrors: number;
  /** Records lost because their block could not be written (counted by the receiver as "No memory"). */
  droppedRecords: number;
}

/** Counters of one collector interface's record files. */
export class RecordFileCounters {
  /** Blocks reserved from the memory budget ("Blocks allocated"). */
  readonly blocksAllocated: RateCounter;
  /** Blocks whose memory went back to the budget after their member was written or dropped ("Blocks freed"). */
  readonly blocksFreed: RateCounter;
  /** Block reservations refused by the memory budget ("Blocks unavailable"). */
  readonly blocksUnavailable: RateCounter;
  /** Record files opened ("Files created"). */
  readonly filesCreated: RateCounter;
  /** Record line bytes appended ("Uncompressed bytes"). */
  readonly uncompressedBytes: RateCounter;
  /** gzip member bytes written to disk ("Compressed bytes"). */
  readonly compressedBytes: RateCounter;
  /** Failed file operations. */
  diskErrors = 0;
  /** Records lost with blocks that could not be written. */
  droppedRecords = 0;

  constructor(nowMs: number) {
    this.blocksAllocated = new RateCounter(nowMs);
    this.blocksFreed = new RateCounter(nowMs);
    this.blocksUnavailable = new RateCounter(nowMs);
    this.filesCreated = new RateCounter(nowMs);
    this.uncompressedBytes = new RateCounter(nowMs);
    this.compressedBytes = new RateCounter(nowMs);
  }

  #all(): RateCounter[] {
    return [
      this.blocksAllocated,
      this.blocksFreed,
      this.blocksUnavailable,
      this.filesCreated,
      this.uncompressedBytes,
      this.compressedBytes,
    ];
  }

  /** Closes the current rate interval of every counter. */
  tick(nowMs: number): void {
    for (const c of this.#all()) c.tick(nowMs);
  }

  /** Zeroes every figure (`clear services flow-collector statistics`). */
  clear(nowMs: number): void {
    for (const c of this.#all()) c.clear(nowMs);
    this.diskErrors = 0;
    this.droppedRecords = 0;
  }

  /** The figures as plain data. */
  snapshot(): RecordFileCountersSnapshot {
    return {
      allocation: {
        blocksAllocated: this.blocksAllocated.snapshot(),
        blocksFreed: this.blocksFreed.snapshot(),
        blocksUnavailable: this.blocksUnavailable.snapshot(),
      },
      files: { created: this.filesCreated.snapshot() },
      throughput: {
        uncompressedBytes: this.uncompressedBytes.snapshot(),
        compressedBytes: this.compressedBytes.snapshot(),
      },
      diskErrors: this.diskErrors,
      droppedRecords: this.droppedRecords,
    };
  }
}
