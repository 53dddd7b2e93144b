/**
 * Loads the exporter's route record ({@link RouteTable}) from a file: a text table (`route-table-text.ts`) or an MRT
 * TABLE_DUMP_V2 RIB dump (`route-table-mrt.ts`), either optionally gzip-compressed, streamed in 1 MiB chunks so a full
 * Internet dump loads in memory bounded by the table, not the file. docs/exporter.md "Route record" documents both.
 * In MRT, records other than RIB_IPV4_UNICAST (IPv6 RIBs included) are skipped and counted, and a record whose message
 * fails to decode is counted under its error code and skipped; a framing error (not MRT, cut short) fails the load.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { WireError } from "../wire/errors.ts";
import {
  isKnownMrtType,
  MRT_HEADER_LENGTH,
  MRT_TYPE_TABLE_DUMP_V2,
  TABLE_DUMP_V2_RIB_IPV4_UNICAST,
} from "../wire/mrt.ts";
import { type MrtFrame, MrtReader } from "../wire/mrt-reader.ts";
import { MrtRibCursor } from "../wire/mrt-rib-cursor.ts";
import { type RouteTable, RouteTableBuilder } from "./route-table.ts";
import { addMrtRibFrame, type MrtLoadCounters, newMrtLoadCounters } from "./route-table-mrt.ts";
import { RouteTableLoadError, RouteTextReader } from "./route-table-text.ts";

/** How to read a route-table file. */
export interface LoadRouteTableOptions {
  /** `auto` (default): MRT when the name ends in `.mrt` (before any `.gz`) or the content starts with an MRT header. */
  format?: "auto" | "text" | "mrt";
  /** Largest MRT record, bytes (default 16 MiB). */
  maxRecordLength?: number;
}

/** What a load read. */
export interface RouteTableLoadResult {
  table: RouteTable;
  format: "text" | "mrt";
  /** Whether the file was gzip-compressed. */
  gzip: boolean;
  /** Text: lines read; MRT: 0. */
  lines: number;
  /** MRT counters (zero for text). */
  mrt: MrtLoadCounters;
}

const GZIP_MAGIC = [0x1f, 0x8b];

async function readHead(path: string, n: number): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(n);
    const { bytesRead } = await handle.read(head, 0, n, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function looksLikeMrt(head: Uint8Array): boolean {
  // A registered MRT type is below 256, so byte 4 is 0: never the case in a text table.
  return head.length >= MRT_HEADER_LENGTH && head[4] === 0 && isKnownMrtType(head[5]);
}

/** The file's bytes in chunks, decompressed when gzip. */
async function* fileChunks(path: string, gzip: boolean): AsyncGenerator<Uint8Array> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let stream: NodeJS.ReadableStream & { destroy(error?: Error): void } = file;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    file.on("error", (e) => gunzip.destroy(e));
    stream = file.pipe(gunzip);
  }
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } finally {
    file.destroy();
    if (stream !== file) stream.destroy();
  }
}

/**
 * Loads a route table file (text or MRT, optionally gzip; see the module comment), streaming it in 1 MiB chunks.
 * @throws RouteTableLoadError `ERR_ROUTE_TABLE_SYNTAX` (bad text lines), `ERR_ROUTE_TABLE_FORMAT` (bzip2, which is not
 *   read: decompress it first; a gzip stream that fails), or the MRT framing code (`ERR_MRT_TYPE`, `ERR_MRT_LENGTH`,
 *   `ERR_MRT_TRUNCATED`) with the byte offset; Node's file errors (ENOENT...) as they are.
 */
export async function loadRouteTableFile(
  path: string,
  options: LoadRouteTableOptions = {},
): Promise<RouteTableLoadResult> {
  const raw = await readHead(path, MRT_HEADER_LENGTH);
  if (raw[0] === 0x42 && raw[1] === 0x5a && raw[2] === 0x68) {
    throw new RouteTableLoadError("ERR_ROUTE_TABLE_FORMAT", `${path}: bzip2 is not supported; decompress it first`);
  }
  const gzip = raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1];
  const chunks = fileChunks(path, gzip);
  try {
    const first = await chunks.next();
    const head = first.done === true ? new Uint8Array(0) : first.value;
    let format = options.format ?? "auto";
    if (format === "auto") format = /\.mrt(\.gz)?$/i.test(path) || looksLikeMrt(head) ? "mrt" : "text";
    const builder = new RouteTableBuilder();
    const mrt = newMrtLoadCounters();
    const all = prepend(head, chunks);
    let lines = 0;
    if (format === "mrt") await loadMrt(all, builder, mrt, path, options.maxRecordLength);
    else lines = await loadText(all, builder, path);
    return { table: builder.build(), format, gzip, lines, mrt };
  } catch (e) {
    if (!isZlibError(e)) throw e;
    throw new RouteTableLoadError("ERR_ROUTE_TABLE_FORMAT", `${path}: bad gzip data: ${e.message}`, [], { cause: e });
  } finally {
    await chunks.return(undefined);
  }
}

function isZlibError(e: unknown): e is Error {
  return e instanceof Error && "code" in e && (e.code === "Z_DATA_ERROR" || e.code === "Z_BUF_ERROR");
}

async function* prepend(head: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (head.length > 0) yield head;
  for (let r = await rest.next(); r.done !== true; r = await rest.next()) yield r.value;
}

async function loadText(chunks: AsyncIterable<Uint8Array>, builder: RouteTableBuilder, path: string): Promise<number> {
  const reader = new RouteTextReader(builder);
  const decoder = new TextDecoder();
  let tail = "";
  const feed = (text: string) => {
    const lines = (tail + text).split("\n");
    tail = lines.pop()!;
    for (const line of lines) reader.line(line.endsWith("\r") ? line.slice(0, -1) : line);
  };
  for await (const chunk of chunks) feed(decoder.decode(chunk, { stream: true }));
  feed(decoder.decode());
  if (tail !== "") reader.line(tail.endsWith("\r") ? tail.slice(0, -1) : tail);
  reader.finish(path);
  return reader.lines;
}

async function loadMrt(
  chunks: AsyncIterable<Uint8Array>,
  builder: RouteTableBuilder,
  counters: MrtLoadCounters,
  path: string,
  maxRecordLength: number | undefined,
): Promise<void> {
  const reader = new MrtReader({ maxRecordLength });
  const cursor = new MrtRibCursor();
  const drain = () => {
    for (;;) {
      let frame: MrtFrame | undefined;
      try {
        frame = reader.nextFrame();
      } catch (e) {
        throw mrtFailure(e, path);
      }
      if (frame === undefined) return;
      counters.records++;
      const { type, subtype } = frame.header;
      if (type !== MRT_TYPE_TABLE_DUMP_V2 || subtype !== TABLE_DUMP_V2_RIB_IPV4_UNICAST) {
        counters.skipped[`${type}/${subtype}`] = (counters.skipped[`${type}/${subtype}`] ?? 0) + 1;
        continue;
      }
      try {
        counters.ipv4Entries += addMrtRibFrame(builder, cursor, frame);
        counters.ipv4Prefixes++;
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        counters.badRecords[e.code] = (counters.badRecords[e.code] ?? 0) + 1;
      }
    }
  };
  for await (const chunk of chunks) {
    reader.push(chunk);
    drain();
  }
  reader.end();
  drain();
}

function mrtFailure(e: unknown, path: string): unknown {
  if (!(e instanceof WireError)) return e;
  return new RouteTableLoadError(e.code, `${path}: ${e.message} (byte ${e.offset})`, [], { cause: e });
}
