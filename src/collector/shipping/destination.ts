/**
 * Transfer destinations of the collector (flow-collector.txt, export channels and `transfer-log-archive archive-sites`):
 * `ftp://user@host[:port]/path/` (an FTP server; the password comes from `password-file` or `password-env`, never from
 * the URL) or `file:///dir/` (a local archive directory). Both upload the same way: under a temporary name, check the
 * size, then rename to the final name, so a reader of the target directory never sees a partial file under its final
 * name. An upload never throws: every outcome, good or bad, is a {@link TransferResult} for the transfer log.
 */
import type { DestinationConfig } from "../config.ts";
import type { TransferResult } from "../contracts.ts";
import { FileDestination } from "./file-destination.ts";
import { FtpDestination } from "./ftp-destination.ts";
import { displayUrl } from "./transfer-result.ts";

/** Where closed files go: one server (or directory) of an export channel or one archive site. */
export interface Destination {
  /** The URL for display and for the transfer log's `ul`: never holds a password. */
  readonly url: string;
  /**
   * Sends the local file `localPath` as `remoteName` into the destination's directory (temporary name, size check,
   * rename). Resolves with the attempt's result, never rejects; an aborted `signal` ends the attempt early as a failure
   * with code 0 and the text `aborted`.
   */
  upload(localPath: string, remoteName: string, signal?: AbortSignal): Promise<TransferResult>;
}

/** Options shared by the destination kinds. */
export interface DestinationOptions {
  /** FTP control and data socket inactivity timeout, also the connect timeout, ms (default 30000). */
  timeoutMs?: number;
  /** Monotonic clock for the `ms` of a result, ms (default `performance.now`). */
  now?: () => number;
}

/** A destination URL that flowlens cannot use (config validation normally catches it first). */
export class DestinationUrlError extends Error {
  readonly code = "ERR_DESTINATION_URL";
  constructor(message: string) {
    super(message);
    this.name = "DestinationUrlError";
  }
}

/**
 * Builds the destination of a configured URL.
 * @throws DestinationUrlError `ERR_DESTINATION_URL` for a scheme other than `ftp:` and `file:` or a bad URL.
 */
export function createDestination(config: DestinationConfig, options: DestinationOptions = {}): Destination {
  let u: URL;
  try {
    u = new URL(config.url);
  } catch {
    throw new DestinationUrlError(`not a URL: ${displayUrl(config.url)}`);
  }
  if (u.protocol === "ftp:") {
    const password = config["password-file"] ?? config["password-env"];
    return new FtpDestination(config.url, password, options);
  }
  if (u.protocol === "file:") return new FileDestination(config.url, options);
  throw new DestinationUrlError(`unsupported destination scheme ${u.protocol} in ${displayUrl(config.url)}`);
}
