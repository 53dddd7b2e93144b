/**
 * The errors of the analytics commands' agent client, sorted the way the exit statuses need them (exit-codes.ts): a
 * bad `--agent` URL or an unreadable token or CA file is a usage error, nothing answering is "unreachable", a CA
 * refusal carries the spec's return code, and anything else the agent answers is a plain failure.
 */
import type { ReturnCodeName } from "../../agent/return-codes.ts";
import { RuntimeError } from "../../runtime/errors.ts";

/** Default agent address (`flowlens agent` and `flowlens up` listen there by default, docs/api.md). */
export const DEFAULT_AGENT_URL = "http://127.0.0.1:8080";

/** An `--agent` / `FLOWLENS_AGENT` value that is not an http(s) URL. Code `ERR_AGENT_URL` (a usage error). */
export class AgentUrlError extends RuntimeError {
  constructor(value: string) {
    super("ERR_AGENT_URL", `--agent: expected an http:// or https:// URL such as ${DEFAULT_AGENT_URL}, got '${value}'`);
  }
}

/** A token or CA file that cannot be read, or is empty. Code `ERR_AGENT_CREDENTIALS` (a usage error). */
export class AgentCredentialsError extends RuntimeError {
  constructor(message: string) {
    super("ERR_AGENT_CREDENTIALS", message);
  }
}

/** True for Node's and OpenSSL's certificate and handshake error codes (`DEPTH_ZERO_SELF_SIGNED_CERT`...). */
export function isTlsFailure(code: string): boolean {
  return /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_)/.test(code);
}

/** Nothing answered at the agent address (refused, unresolvable, timed out, TLS failure). Code `ERR_AGENT_UNREACHABLE`. */
export class AgentUnreachableError extends RuntimeError {
  constructor(
    readonly url: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    const why = isTlsFailure(reason)
      ? `TLS: ${reason}; give --ca-file to trust its certificate`
      : `${reason}; is it running?`;
    super("ERR_AGENT_UNREACHABLE", `cannot reach the agent at ${url} (${why})`, options);
  }
}

/**
 * The CA API refused the request with a spec return code (`rc` 1 to 4); `code` is the spec's name (`E_AoF`) and the
 * message the agent's own.
 */
export class AgentRefusedError extends RuntimeError {
  declare readonly code: Exclude<ReturnCodeName, "EOK">;

  constructor(
    code: Exclude<ReturnCodeName, "EOK">,
    readonly rc: number,
    message: string,
    /** HTTP status of the answer. */
    readonly status: number,
    /** The envelope as received, for `| display json`. */
    readonly envelope: unknown,
  ) {
    super(code, `${code}: ${message}`);
  }
}

/** The address answered, but not as the CA API does (not JSON, no envelope: another daemon?). Code `ERR_AGENT_RESPONSE`. */
export class AgentResponseError extends RuntimeError {
  constructor(message: string) {
    super("ERR_AGENT_RESPONSE", message);
  }
}
