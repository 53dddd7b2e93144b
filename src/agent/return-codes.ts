/**
 * The CA API return codes (compute-agent-api.txt, "Compute Agent API Resources Overview": EOK = 0, EAGAIN = 1,
 * EFAIL = 2, E_UNAUTHORIZED = 3, E_AoF = 4), the typed error that carries one, and the response envelope of control
 * calls: `{"rc": 0, "code": "EOK"}` on success, `{"rc": N, "code": "NAME", "message": "..."}` otherwise, with the HTTP
 * status of {@link httpStatusOf} (docs/api.md, "Envelope").
 */

/** The numeric return codes, by spec name. */
export const RETURN_CODES = { EOK: 0, EAGAIN: 1, EFAIL: 2, E_UNAUTHORIZED: 3, E_AoF: 4 } as const;

/** A return code name as the spec spells it. */
export type ReturnCodeName = keyof typeof RETURN_CODES;

/**
 * Why an EFAIL or E_UNAUTHORIZED was returned; it selects the HTTP status only (the body carries the spec's code):
 * `invalid` (a parameter: 400), `no-data` (data/* before the first round: 409), `limit` (a configured limit: 429),
 * `unavailable` (list/flow could not read the flows: 503), `originator` (Originator mismatch: 403), `token` (bearer
 * token missing or wrong: 401).
 */
export type FailureKind = "invalid" | "no-data" | "limit" | "unavailable" | "originator" | "token";

/** The body of every control response and of every error response. */
export interface Envelope {
  rc: number;
  code: ReturnCodeName;
  /** One line for a person; absent on EOK. */
  message?: string;
}

/** A request the CA API refuses with a spec return code; `code` is that code's name (stable). */
export class CaError extends Error {
  /** The spec's return code name, e.g. `EFAIL`. */
  readonly code: Exclude<ReturnCodeName, "EOK">;
  /** What made it fail (selects the HTTP status). */
  readonly kind: FailureKind | undefined;
  /** Seconds a client should wait before trying again (`Retry-After`), when retrying makes sense. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: Exclude<ReturnCodeName, "EOK">,
    message: string,
    options: { kind?: FailureKind; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = "CaError";
    this.code = code;
    this.kind = options.kind;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The response body. */
  envelope(): Envelope {
    return { rc: RETURN_CODES[this.code], code: this.code, message: this.message };
  }
}

/** EFAIL for an invalid parameter; the message names the parameter (`sport: expected an integer 1 to 65535`). */
export function invalidParameter(name: string, problem: string): CaError {
  return new CaError("EFAIL", `${name}: ${problem}`, { kind: "invalid" });
}

/**
 * The HTTP status of a response with this code: EOK 200, EAGAIN 409, EFAIL 400 (invalid parameters; 409 for no data
 * yet, 429 for a configured limit, 503 when list/flow cannot read the flows), E_UNAUTHORIZED 403 (401 for the bearer
 * token), E_AoF 404.
 */
export function httpStatusOf(code: ReturnCodeName, kind?: FailureKind): number {
  switch (code) {
    case "EOK":
      return 200;
    case "EAGAIN":
      return 409;
    case "E_UNAUTHORIZED":
      return kind === "token" ? 401 : 403;
    case "E_AoF":
      return 404;
    case "EFAIL":
      if (kind === "no-data") return 409;
      if (kind === "limit") return 429;
      if (kind === "unavailable") return 503;
      return 400;
  }
}

/** The EOK envelope of a serviced control call. */
export function okEnvelope(): Envelope {
  return { rc: RETURN_CODES.EOK, code: "EOK" };
}
