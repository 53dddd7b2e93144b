/**
 * Walks a file of concatenated gzip members (RFC 1952 §2.2: "A gzip file consists of a series of members"), the
 * layout of the collector's record files (one member per block), and finds where the complete members end. A member is
 * complete when its header parses, its deflate stream inflates to the end, and its trailer's CRC-32 and ISIZE match the
 * inflated data; whatever follows the last complete member (a member torn by a crash, or garbage) is reported, never
 * read as records. Memory stays near one member plus a read chunk, whatever the file's size.
 */
import { open } from "node:fs/promises";
import * as zlib from "node:zlib";

/** Why a scan stopped before the end of the file: the bytes end inside a member, or they are not a valid member. */
export type GzipTornReason = "truncated" | "corrupt";

/** What a scan found. */
export interface GzipScanResult {
  /** Complete members from the start of the file. */
  members: number;
  /** Bytes of those members: the offset just after the last complete one. */
  validBytes: number;
  /** Size of the file. */
  fileBytes: number;
  /** Inflated bytes of the complete members. */
  uncompressedBytes: number;
  /** Newline bytes (`\n`) in the inflated data: the record lines of a record file. */
  lines: number;
  /** Why bytes after `validBytes` were not taken; null when the file ends exactly after a complete member. */
  torn: GzipTornReason | null;
}

/** Called for each complete member with its inflated data and its place in the file. */
export type GzipMemberVisitor = (data: Buffer, offset: number, length: number) => void;

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
const READ_CHUNK = 1024 * 1024;
/** Largest inflated member accepted (block-size is at most 16 MiB); anything larger is treated as corrupt. */
const MAX_MEMBER_OUTPUT = 64 * 1024 * 1024;

type MemberParse = { kind: "member"; end: number; data: Buffer } | { kind: "short" } | { kind: "corrupt" };

/** Length of the member header at `off`, "short" if the bytes end inside it, "corrupt" if it is not one. */
function headerLength(buf: Buffer, off: number): number | "short" | "corrupt" {
  if (buf.length - off < 10) return buf.length - off > 0 && buf[off] !== 0x1f ? "corrupt" : "short";
  if (buf[off] !== 0x1f || buf[off + 1] !== 0x8b || buf[off + 2] !== 8) return "corrupt";
  const flags = buf[off + 3];
  if ((flags & FRESERVED) !== 0) return "corrupt";
  let p = off + 10;
  if (flags & FEXTRA) {
    if (p + 2 > buf.length) return "short";
    p += 2 + buf.readUInt16LE(p);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if ((flags & flag) === 0) continue;
    const zero = buf.indexOf(0, p);
    if (zero < 0) return "short";
    p = zero + 1;
  }
  if (flags & FHCRC) p += 2;
  return p > buf.length ? "short" : p - off;
}

const crc32: ((data: Uint8Array) => number) | undefined = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

function trailerMatches(buf: Buffer, off: number, end: number, data: Buffer): boolean {
  const crc = buf.readUInt32LE(end - 8);
  const isize = buf.readUInt32LE(end - 4);
  if (data.length >>> 0 !== isize) return false;
  if (crc32 !== undefined) return crc32(data) >>> 0 === crc;
  try {
    zlib.gunzipSync(buf.subarray(off, end)); // Node before 20.15 has no zlib.crc32: gunzip checks the trailer
    return true;
  } catch {
    return false;
  }
}

/** Parses the member at `off` of `buf`. */
function parseMember(buf: Buffer, off: number): MemberParse {
  const header = headerLength(buf, off);
  if (typeof header !== "number") return { kind: header };
  const dataStart = off + header;
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    const info = { info: true, maxOutputLength: MAX_MEMBER_OUTPUT } as zlib.ZlibOptions;
    inflated = zlib.inflateRawSync(buf.subarray(dataStart), info) as unknown as typeof inflated;
  } catch (e) {
    // Z_BUF_ERROR: the input ended before the deflate stream did.
    return { kind: (e as { code?: string }).code === "Z_BUF_ERROR" ? "short" : "corrupt" };
  }
  const end = dataStart + inflated.engine.bytesWritten + 8;
  if (end > buf.length) return { kind: "short" };
  return trailerMatches(buf, off, end, inflated.buffer)
    ? { kind: "member", end, data: inflated.buffer }
    : { kind: "corrupt" };
}

function countLines(data: Buffer): number {
  let n = 0;
  for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * Scans the gzip members of the file at `path` from its start.
 * @throws the file system's error (ENOENT, EACCES...) when the file cannot be opened or read.
 */
export async function scanGzipMembers(path: string, visit?: GzipMemberVisitor): Promise<GzipScanResult> {
  const fh = await open(path, "r");
  try {
    const fileBytes = (await fh.stat()).size;
    const result: GzipScanResult = { members: 0, validBytes: 0, fileBytes, uncompressedBytes: 0, lines: 0, torn: null };
    let buf = Buffer.alloc(0);
    let bufStart = 0; // file offset of buf[0]
    let off = 0;
    while (bufStart + off < fileBytes) {
      const parsed = parseMember(buf, off);
      if (parsed.kind === "member") {
        visit?.(parsed.data, bufStart + off, parsed.end - off);
        result.members++;
        result.uncompressedBytes += parsed.data.length;
        result.lines += countLines(parsed.data);
        off = parsed.end;
        result.validBytes = bufStart + off;
        continue;
      }
      const loaded = bufStart + buf.length;
      if (parsed.kind === "corrupt" || loaded >= fileBytes) {
        result.torn = parsed.kind === "corrupt" ? "corrupt" : "truncated";
        break;
      }
      // Keep the unparsed rest and read at least as much again (a member larger than the chunk doubles it).
      const more = Math.min(fileBytes - loaded, Math.max(READ_CHUNK, buf.length - off));
      const next = Buffer.allocUnsafe(buf.length - off + more);
      buf.copy(next, 0, off);
      const { bytesRead } = await fh.read(next, buf.length - off, more, loaded);
      bufStart += off;
      buf = next.subarray(0, buf.length - off + bytesRead);
      off = 0;
      if (bytesRead === 0) break; // the file shrank under us
    }
    if (result.torn === null && result.validBytes < fileBytes) result.torn = "truncated";
    return result;
  } finally {
    await fh.close();
  }
}
