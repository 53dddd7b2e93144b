/**
 * Helpers shared by the destination kinds: the temporary-name suffix, results without a server reply (code 0) and the
 * password-free display URL.
 */
import type { TransferResult } from "../contracts.ts";

/** Suffix added to the final name while a file is being uploaded (`<name>.part`), at every destination. */
export const TEMPORARY_SUFFIX = ".part";

/** Text of the result of an attempt ended by its abort signal. */
export const ABORTED_TEXT = "aborted";

/**
 * The URL as shown to operators and in the transfer log: the configured URL with any password removed (the
 * configuration refuses URLs with a password, this is a second guard). Unparsable text is returned as is.
 */
export function displayUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  u.password = "";
  return u.href;
}

/** A failed result with no server reply (code 0): local errors, socket errors, aborts. */
export function localFailure(message: string, bytes: number, ms: number): TransferResult {
  return { ok: false, code: 0, message, bytes, ms };
}

/** `ENOENT: no such file ...` style text of a thrown value, one line. */
export function errorText(e: unknown): string {
  const message = (e instanceof Error ? e.message : String(e)).split("\n", 1)[0] ?? "";
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}
