/**
 * The file operations the record-file writer needs, behind an interface so tests can inject failures (a full disk,
 * `EIO`) that a real file system in CI cannot produce on demand. {@link nodeRecordFileOps} is the real one
 * (node:fs/promises). Every operation reports failure by rejecting with the system error (`code` = `ENOSPC`...).
 */
import { constants } from "node:fs";
import { access, type FileHandle, mkdir, open, rename, unlink } from "node:fs/promises";

/** An open record file, written strictly in order from offset 0. */
export interface RecordFileHandle {
  /** Writes all of `bytes` at the end of what was written so far (a short write is continued, never left). */
  write(bytes: Uint8Array): Promise<void>;
  /** Cuts the file to `length` bytes; later writes continue at `length`. */
  truncate(length: number): Promise<void>;
  /** Forces the written data to disk (before the rename that publishes the file). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Directory and file operations on the spool. */
export interface RecordFileOps {
  /** Creates `dir` and its parents if missing. */
  mkdir(dir: string): Promise<void>;
  /** Creates `path`, failing with `EEXIST` if it exists, and opens it for writing. */
  create(path: string): Promise<RecordFileHandle>;
  /** Whether `path` exists. */
  exists(path: string): Promise<boolean>;
  /** Renames `from` to `to` (atomic within one file system; replaces `to`). */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

class NodeRecordFileHandle implements RecordFileHandle {
  readonly #fh: FileHandle;
  #offset = 0;

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#fh.write(bytes, done, bytes.length - done, this.#offset);
      done += bytesWritten;
      this.#offset += bytesWritten;
    }
  }

  async truncate(length: number): Promise<void> {
    await this.#fh.truncate(length);
    this.#offset = length;
  }

  async sync(): Promise<void> {
    await this.#fh.datasync();
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}

/** The real file operations (node:fs/promises); files are created with mode 0644 (less the umask). */
export const nodeRecordFileOps: RecordFileOps = {
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  async create(path) {
    return new NodeRecordFileHandle(await open(path, "wx", 0o644));
  },
  async exists(path) {
    try {
      await access(path, constants.F_OK);
      return true;
    } catch {
      return false;
    }
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
};
