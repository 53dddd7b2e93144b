/**
 * An FTP destination (flow-collector.txt, export channels: "sent to the FTP server for analysis"), built on basic-ftp.
 * One attempt is one session:
 *
 * 1. connect (the socket timeout also bounds the connect) and log in: the URL's user (default `anonymous`) with the
 *    password from `password-file`/`password-env` (default `anonymous@`); the password is sent only in `PASS`;
 * 2. change to the URL's path, creating missing directories (`MKD`, errors ignored, then `CWD`); the path is taken
 *    from the server's root (`ftp://h/tmp/server1/` is `/tmp/server1`, as in the spec's example; a chrooted login sees
 *    its own root);
 * 3. `STOR <name>.part` in binary mode over a passive data connection;
 * 4. `SIZE <name>.part` compared with the local size (a server without `SIZE`, replying 500/502/504, is trusted on
 *    its `226`); a mismatch deletes the temporary file and fails with `rc=213` and the text `size mismatch: ...`;
 * 5. `RNFR`/`RNTO` to the final name (an existing file of that name is replaced, as the server's rename does).
 *
 * Result codes for the transfer log (`rc`): a success records the rename's reply, `250` (vsftpd: `250 Rename
 * successful.`). A failure records the server's reply code and text of the step that failed (e.g. `530 Login
 * incorrect.`, `553 Could not create file.`), or code `0` with the socket error (`ECONNREFUSED: connect ECONNREFUSED
 * 127.0.0.1:2121 (control socket)`, `Timeout (control socket)`) when no reply came.
 */
import { stat } from "node:fs/promises";
import { Client, FTPError } from "basic-ftp";
import type { Secret } from "../../runtime/secret.ts";
import type { TransferResult } from "../contracts.ts";
import type { Destination, DestinationOptions } from "./destination.ts";
import { ABORTED_TEXT, displayUrl, errorText, localFailure, TEMPORARY_SUFFIX } from "./transfer-result.ts";

/** Default socket inactivity timeout of an FTP session, ms. */
export const FTP_DEFAULT_TIMEOUT_MS = 30_000;

/** Replies meaning "command not implemented": `SIZE` is then skipped. */
const NOT_IMPLEMENTED: ReadonlySet<number> = new Set([500, 502, 504]);

/** What a successful session step sequence produced. */
type SessionOutcome = Pick<TransferResult, "ok" | "code" | "message">;

/** One FTP server directory reachable at `ftp://user@host:port/path/`. */
export class FtpDestination implements Destination {
  readonly url: string;
  readonly #host: string;
  readonly #port: number;
  readonly #user: string;
  readonly #directory: string;
  readonly #password: Secret | undefined;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  /** `url` is the configured `ftp://` URL (no password in it); `password` the configured secret, if any. */
  constructor(url: string, password: Secret | undefined, options: DestinationOptions = {}) {
    const u = new URL(url);
    this.url = displayUrl(url);
    this.#host = u.hostname.replace(/^\[(.*)\]$/, "$1");
    this.#port = u.port === "" ? 21 : Number(u.port);
    this.#user = u.username === "" ? "anonymous" : decodeURIComponent(u.username);
    this.#directory = decodeURIComponent(u.pathname) || "/";
    this.#password = password;
    this.#timeoutMs = options.timeoutMs ?? FTP_DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** One upload session as the module describes; never rejects. */
  async upload(localPath: string, remoteName: string, signal?: AbortSignal): Promise<TransferResult> {
    const start = this.#now();
    const elapsed = () => Math.max(0, Math.round(this.#now() - start));
    if (signal?.aborted) return localFailure(ABORTED_TEXT, 0, 0);
    if (remoteName === "" || remoteName.includes("/")) return localFailure(`invalid remote name: ${remoteName}`, 0, 0);
    let size: number;
    try {
      size = (await stat(localPath)).size;
    } catch (e) {
      return localFailure(errorText(e), 0, elapsed());
    }
    const client = new Client(this.#timeoutMs);
    let sent = 0;
    client.trackProgress((info) => {
      sent = info.bytes;
    });
    const onAbort = () => client.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const outcome = await this.#session(client, localPath, remoteName, size);
      return { ...outcome, bytes: outcome.ok ? size : sent, ms: elapsed() };
    } catch (e) {
      if (signal?.aborted) return localFailure(ABORTED_TEXT, sent, elapsed());
      if (e instanceof FTPError)
        return { ok: false, code: e.code, message: replyText(e.message), bytes: sent, ms: elapsed() };
      return localFailure(errorText(e), sent, elapsed());
    } finally {
      signal?.removeEventListener("abort", onAbort);
      client.trackProgress();
      client.close();
    }
  }

  async #session(client: Client, localPath: string, remoteName: string, size: number): Promise<SessionOutcome> {
    await client.access({
      host: this.#host,
      port: this.#port,
      user: this.#user,
      password: this.#password?.reveal() ?? "anonymous@",
    });
    await client.ensureDir(this.#directory);
    const temporary = remoteName + TEMPORARY_SUFFIX;
    try {
      await client.uploadFrom(localPath, temporary);
      const remoteSize = await sizeOf(client, temporary);
      if (remoteSize !== undefined && remoteSize !== size) {
        await client.remove(temporary, true);
        return { ok: false, code: 213, message: `size mismatch: sent ${size} bytes, server has ${remoteSize}` };
      }
      const renamed = await client.rename(temporary, remoteName);
      return { ok: true, code: renamed.code, message: "" };
    } catch (e) {
      if (e instanceof FTPError && !client.closed) await client.remove(temporary, true).catch(() => undefined);
      throw e;
    }
  }
}

/** The server's size of `path`, or undefined when the server does not implement `SIZE`. */
async function sizeOf(client: Client, path: string): Promise<number | undefined> {
  try {
    return await client.size(path);
  } catch (e) {
    if (e instanceof FTPError && NOT_IMPLEMENTED.has(e.code)) return undefined;
    throw e;
  }
}

/** The text of an FTP reply without its code (`550 Permission denied.` -> `Permission denied.`), one line. */
function replyText(message: string): string {
  const line = message.trim().split("\n").at(-1) ?? "";
  return line.replace(/^\d{3}[ -]?/, "").trim();
}
