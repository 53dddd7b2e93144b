/**
 * Capture files as packet sources for the exporter: a pcap or pcapng file is read in chunks and its packets handed to
 * a synchronous callback in file order, without a promise per packet (the full-speed path), or with a wait before each
 * packet when replaying at the recorded pace. Memory stays bounded by the chunk size plus the largest record.
 */
import { createReadStream } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { CaptureFileError } from "../runtime/capture-file.ts";
import { type CapturedPacket, CaptureParser } from "../wire/capture-parser.ts";
import { WireError } from "../wire/errors.ts";
import { captureTimeMs } from "./capture-time.ts";

/** What a replay does with the packets. */
export interface CaptureSourceHandlers {
  /** Called for each packet, in file order; `p.data` is valid only during the call. */
  packet(p: CapturedPacket): void;
  /** Milliseconds to wait before handing over `p` (recorded pace); absent or <= 0: at once. */
  delayMs?(p: CapturedPacket): number;
  /** Awaited after each chunk when it returns a promise (backpressure from the send queue). */
  afterChunk?(): Promise<void> | undefined;
}

/** Options of {@link replayCaptureFile}. */
export interface ReplayOptions {
  /** Stops the replay; it then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Read chunk size, bytes (default 1 MiB). */
  chunkSize?: number;
}

function wrap(e: unknown, path: string): unknown {
  return e instanceof WireError ? new CaptureFileError(path, e) : e;
}

/**
 * Reads every packet of the capture file at `path` into `handlers`. Resolves with the number of packets.
 * @throws CaptureFileError for a malformed or truncated file (packets before the fault were handed over); the file
 *   system's error (ENOENT...); an AbortError when `signal` aborts.
 */
export async function replayCaptureFile(
  path: string,
  handlers: CaptureSourceHandlers,
  options: ReplayOptions = {},
): Promise<number> {
  const parser = new CaptureParser();
  const stream = createReadStream(path, { highWaterMark: options.chunkSize ?? 1 << 20, signal: options.signal });
  let count = 0;
  const drain = async (): Promise<void> => {
    for (;;) {
      let p: CapturedPacket | undefined;
      try {
        p = parser.next();
      } catch (e) {
        throw wrap(e, path);
      }
      if (p === undefined) return;
      const wait = handlers.delayMs?.(p) ?? 0;
      if (wait > 0) await sleep(wait, undefined, { signal: options.signal });
      handlers.packet(p);
      count++;
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      await drain();
      const pending = handlers.afterChunk?.();
      if (pending !== undefined) await pending;
    }
    try {
      parser.end();
    } catch (e) {
      throw wrap(e, path);
    }
    await drain();
  } finally {
    stream.destroy();
  }
  return count;
}

/** Capture time of the first packet of the file, epoch ms, or undefined for a file without packets. */
export async function firstPacketMs(path: string): Promise<number | undefined> {
  const parser = new CaptureParser();
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      const p = nextOrThrow(parser, path);
      if (p !== undefined) return captureTimeMs(p.timestampNs);
    }
    parser.end();
    const p = nextOrThrow(parser, path);
    return p === undefined ? undefined : captureTimeMs(p.timestampNs);
  } catch (e) {
    throw wrap(e, path);
  } finally {
    stream.destroy();
  }
}

function nextOrThrow(parser: CaptureParser, path: string): CapturedPacket | undefined {
  try {
    return parser.next();
  } catch (e) {
    throw wrap(e, path);
  }
}
