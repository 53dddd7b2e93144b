/**
 * Streaming a pcap or pcapng file from disk through the incremental {@link CaptureParser}: the file is read in chunks by
 * `fs.createReadStream`, so memory stays bounded by the chunk size plus the largest record, whatever the file size.
 * Issue 2 ("Capture files").
 */
import { createReadStream } from "node:fs";
import { type CapturedPacket, CaptureParser, type CaptureParserOptions } from "../wire/capture-parser.ts";
import { WireError } from "../wire/errors.ts";

/** Options of {@link readCaptureFile}. */
export interface ReadCaptureFileOptions extends CaptureParserOptions {
  /** Read chunk size, bytes (default 256 KiB). */
  chunkSize?: number;
  /** Aborts the read; the iteration then throws an AbortError. */
  signal?: AbortSignal;
}

/**
 * A capture file that fails to parse: the parser's WireError (same `code`, e.g. `ERR_PCAP_TRUNCATED`, and absolute
 * file `offset`) with the file's `path` added and the original as `cause`.
 */
export class CaptureFileError extends WireError {
  /** The file that failed. */
  readonly path: string;

  constructor(path: string, error: WireError) {
    super(error.code, `${path}: ${error.message} (at byte ${error.offset})`, error.offset, { cause: error });
    this.path = path;
  }
}

/**
 * Reads the packets of the capture file at `path` (classic pcap either byte order and resolution, or pcapng), streaming.
 * Each packet's `data` is a view into a read chunk (copy it to keep it long). Breaking out of the iteration closes the file.
 * @throws CaptureFileError for a malformed or truncated file; the stream's own error (e.g. ENOENT) for I/O failures.
 */
export async function* readCaptureFile(
  path: string,
  options: ReadCaptureFileOptions = {},
): AsyncGenerator<CapturedPacket, void, undefined> {
  const parser = new CaptureParser(options);
  const stream = createReadStream(path, { highWaterMark: options.chunkSize ?? 256 * 1024, signal: options.signal });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      // A plain Uint8Array view, so packets compare and behave the same as from in-memory decoding.
      parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      for (let p = parseNext(parser, path); p !== undefined; p = parseNext(parser, path)) yield p;
    }
    try {
      parser.end();
    } catch (e) {
      throw wrap(e, path);
    }
    for (let p = parseNext(parser, path); p !== undefined; p = parseNext(parser, path)) yield p;
  } finally {
    stream.destroy();
  }
}

function parseNext(parser: CaptureParser, path: string): CapturedPacket | undefined {
  try {
    return parser.next();
  } catch (e) {
    throw wrap(e, path);
  }
}

function wrap(e: unknown, path: string): unknown {
  return e instanceof WireError ? new CaptureFileError(path, e) : e;
}
