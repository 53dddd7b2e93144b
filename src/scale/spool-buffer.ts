/**
 * The receiver's local disk buffer: messages that could not be published to JetStream (NATS unreachable, or more in
 * flight than the publish window allows) are appended to segment files in a spool directory and published again, oldest
 * segment first and in append order, when NATS answers. Bounded in bytes: an append that would pass `maxBytes` is
 * refused and the caller counts the records as dropped.
 *
 * Segment files are `<12-digit number>.seg`, each a run of frames `[u32 frame length][u16 subject length][subject]
 * [u16 id length][Nats-Msg-Id][u32 records][payload]` (big-endian). Writes are plain appends (no fsync: a process crash
 * loses nothing, a power loss may lose the page cache); a torn last frame (a crash mid-write) is ignored on reading. A
 * segment is deleted only after every message of it was acknowledged by the stream; after a crash the segment being
 * drained is published again from its start, and the messages' ids make JetStream drop the repeats.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ScaleError } from "./scale-errors.ts";

/** One buffered message. */
export interface SpooledMessage {
  subject: string;
  /** The `Nats-Msg-Id` de-duplication id. */
  id: string;
  /** Records in the payload (for the counters). */
  records: number;
  payload: Uint8Array;
}

/** Options of {@link SpoolBuffer.open}. */
export interface SpoolBufferOptions {
  directory: string;
  /** Bound of all segments together, bytes. */
  maxBytes: number;
  /** A segment is closed (and a new one started) past this size, bytes (default 8 MiB). */
  segmentBytes?: number;
}

/** A segment taken for draining: its messages in append order. */
export interface SpoolSegment {
  readonly sequence: number;
  readonly messages: SpooledMessage[];
}

const SEGMENT = /^(\d{12})\.seg$/;

function segmentName(sequence: number): string {
  return `${String(sequence).padStart(12, "0")}.seg`;
}

/** Encodes one frame. */
export function encodeSpoolFrame(m: SpooledMessage): Buffer {
  const subject = Buffer.from(m.subject, "utf8");
  const id = Buffer.from(m.id, "utf8");
  const length = 4 + 2 + subject.length + 2 + id.length + 4 + m.payload.length;
  const out = Buffer.allocUnsafe(length);
  let p = out.writeUInt32BE(length, 0);
  p = out.writeUInt16BE(subject.length, p);
  p += subject.copy(out, p);
  p = out.writeUInt16BE(id.length, p);
  p += id.copy(out, p);
  p = out.writeUInt32BE(m.records, p);
  out.set(m.payload, p);
  return out;
}

/** Decodes the frames of one segment's bytes; a torn or malformed tail ends the list. */
export function decodeSpoolFrames(bytes: Buffer): SpooledMessage[] {
  const out: SpooledMessage[] = [];
  let p = 0;
  while (p + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(p);
    if (length < 12 || p + length > bytes.length) break;
    let q = p + 4;
    const subjectLength = bytes.readUInt16BE(q);
    q += 2;
    const subject = bytes.toString("utf8", q, q + subjectLength);
    q += subjectLength;
    const idLength = bytes.readUInt16BE(q);
    q += 2;
    const id = bytes.toString("utf8", q, q + idLength);
    q += idLength;
    const records = bytes.readUInt32BE(q);
    q += 4;
    if (q > p + length) break;
    out.push({ subject, id, records, payload: bytes.subarray(q, p + length) });
    p += length;
  }
  return out;
}

/** The disk buffer; see the module comment. Synchronous file I/O: it runs only while NATS lags or is away. */
export class SpoolBuffer {
  readonly directory: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  /** Closed segments not yet drained, oldest first, with their sizes. */
  readonly #closed: { sequence: number; bytes: number }[] = [];
  #writing: { sequence: number; fd: number; bytes: number } | undefined;
  #next = 1;
  #bytes = 0;
  #messages = 0;

  private constructor(options: SpoolBufferOptions) {
    this.directory = options.directory;
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
  }

  /**
   * Opens the spool directory (created if missing) and takes the segments a previous run left as pending.
   * @throws ScaleError `ERR_SCALE_SPOOL` when the directory cannot be created or read.
   */
  static open(options: SpoolBufferOptions): SpoolBuffer {
    const spool = new SpoolBuffer(options);
    try {
      mkdirSync(options.directory, { recursive: true });
      const found = readdirSync(options.directory)
        .map((name) => SEGMENT.exec(name))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
      for (const sequence of found) {
        const bytes = statSync(join(options.directory, segmentName(sequence))).size;
        spool.#closed.push({ sequence, bytes });
        spool.#bytes += bytes;
        spool.#next = sequence + 1;
      }
    } catch (e) {
      throw new ScaleError("ERR_SCALE_SPOOL", `cannot use spool directory ${options.directory}: ${String(e)}`, {
        cause: e,
      });
    }
    return spool;
  }

  /** Bytes held on disk (pending segments). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Messages appended in this run and not yet released (segments left by a previous run are not counted). */
  get messages(): number {
    return this.#messages;
  }

  /** True when nothing waits on disk. */
  get empty(): boolean {
    return this.#closed.length === 0 && (this.#writing === undefined || this.#writing.bytes === 0);
  }

  /**
   * Appends one message; false (nothing written) when it would pass `maxBytes`.
   * @throws ScaleError `ERR_SCALE_SPOOL` when the file cannot be written.
   */
  append(message: SpooledMessage): boolean {
    const frame = encodeSpoolFrame(message);
    if (this.#bytes + frame.length > this.maxBytes) return false;
    try {
      if (this.#writing !== undefined && this.#writing.bytes + frame.length > this.segmentBytes) this.#rotate();
      if (this.#writing === undefined) {
        const sequence = this.#next++;
        this.#writing = { sequence, fd: openSync(join(this.directory, segmentName(sequence)), "a"), bytes: 0 };
      }
      writeSync(this.#writing.fd, frame);
    } catch (e) {
      throw new ScaleError("ERR_SCALE_SPOOL", `cannot write the spool: ${String(e)}`, { cause: e });
    }
    this.#writing.bytes += frame.length;
    this.#bytes += frame.length;
    this.#messages++;
    return true;
  }

  /**
   * The oldest pending segment's messages (closing the segment being written when it is the only one), or undefined
   * when the spool is empty. The segment stays on disk until {@link release}.
   */
  take(): SpoolSegment | undefined {
    if (this.#closed.length === 0 && this.#writing !== undefined && this.#writing.bytes > 0) this.#rotate();
    const oldest = this.#closed[0];
    if (oldest === undefined) return undefined;
    const messages = decodeSpoolFrames(readFileSync(join(this.directory, segmentName(oldest.sequence))));
    return { sequence: oldest.sequence, messages };
  }

  /** Deletes a drained segment (every message of it acknowledged). */
  release(segment: SpoolSegment): void {
    const i = this.#closed.findIndex((s) => s.sequence === segment.sequence);
    if (i < 0) return;
    const [gone] = this.#closed.splice(i, 1);
    unlinkSync(join(this.directory, segmentName(gone.sequence)));
    this.#bytes -= gone.bytes;
    this.#messages = Math.max(0, this.#messages - segment.messages.length);
  }

  /** Closes the segment being written (what is pending stays for the next run). */
  close(): void {
    if (this.#writing !== undefined) this.#rotate();
  }

  #rotate(): void {
    const w = this.#writing;
    if (w === undefined) return;
    closeSync(w.fd);
    this.#writing = undefined;
    if (w.bytes === 0) {
      unlinkSync(join(this.directory, segmentName(w.sequence)));
      return;
    }
    this.#closed.push({ sequence: w.sequence, bytes: w.bytes });
  }
}
