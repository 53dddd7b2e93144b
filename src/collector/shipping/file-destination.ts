/**
 * A local archive directory, `file:///dir/` (the embedded default configuration ships to one; useful when the
 * "server" is a mounted file system). One attempt: create the directory if missing, copy the file to `<name>.part`
 * in it, fsync that copy, compare its size with the source, rename it to `<name>` (replacing a file of that name) and
 * fsync the directory, so a confirmed transfer survives a power loss.
 *
 * Result codes for the transfer log (`rc`), borrowed from FTP so the log reads the same for every destination: `250`
 * ("requested file action okay, completed") on success; `550` ("requested action not taken") with the system error
 * text (`ENOSPC: no space left on device, copyfile ...`, `size mismatch: ...`) on failure; `0` with `aborted` when the
 * caller's signal ended the attempt.
 */
import { copyFile, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TransferResult } from "../contracts.ts";
import type { Destination, DestinationOptions } from "./destination.ts";
import { ABORTED_TEXT, displayUrl, errorText, localFailure, TEMPORARY_SUFFIX } from "./transfer-result.ts";

/** `rc` of a confirmed local copy. */
export const FILE_OK_CODE = 250;
/** `rc` of a failed local copy. */
export const FILE_FAILED_CODE = 550;

/** A directory on a local (or mounted) file system. */
export class FileDestination implements Destination {
  readonly url: string;
  /** The absolute directory path the URL names. */
  readonly directory: string;
  readonly #now: () => number;

  /** `url` is a `file:///dir/` URL. */
  constructor(url: string, options: DestinationOptions = {}) {
    this.url = displayUrl(url);
    this.directory = fileURLToPath(url);
    this.#now = options.now ?? (() => performance.now());
  }

  /** One copy as the module describes; never rejects. */
  async upload(localPath: string, remoteName: string, signal?: AbortSignal): Promise<TransferResult> {
    const start = this.#now();
    const elapsed = () => Math.max(0, Math.round(this.#now() - start));
    if (signal?.aborted) return localFailure(ABORTED_TEXT, 0, 0);
    if (remoteName === "" || remoteName.includes("/") || remoteName === "." || remoteName === "..") {
      return localFailure(`invalid remote name: ${remoteName}`, 0, 0);
    }
    const temporary = join(this.directory, remoteName + TEMPORARY_SUFFIX);
    try {
      const size = (await stat(localPath)).size;
      await mkdir(this.directory, { recursive: true });
      await copyFile(localPath, temporary);
      const copied = await syncFile(temporary);
      if (copied !== size) throw new Error(`size mismatch: sent ${size} bytes, copy has ${copied}`);
      if (signal?.aborted) throw new Error(ABORTED_TEXT);
      await rename(temporary, join(this.directory, remoteName));
      await syncFile(this.directory).catch(() => undefined); // not every file system syncs a directory
      return { ok: true, code: FILE_OK_CODE, message: "", bytes: size, ms: elapsed() };
    } catch (e) {
      await rm(temporary, { force: true }).catch(() => undefined);
      if (signal?.aborted) return localFailure(ABORTED_TEXT, 0, elapsed());
      return { ok: false, code: FILE_FAILED_CODE, message: errorText(e), bytes: 0, ms: elapsed() };
    }
  }
}

/** fsyncs a file or directory and returns its size, bytes. */
async function syncFile(path: string): Promise<number> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}
