/**
 * Optional bearer-token protection of the CA resources (a flowlens extension; the spec has none): when a token is
 * configured, every CA request must carry `Authorization: Bearer <token>`, else it is answered E_UNAUTHORIZED with
 * HTTP 401 and `WWW-Authenticate: Bearer`. The comparison takes the same time whatever the token sent.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { CaError } from "./return-codes.ts";

/** Checks the `Authorization` header of a request. */
export type BearerCheck = (authorization: string | undefined) => void;

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * A check accepting exactly `Bearer <token>` (the scheme in any case).
 * @throws TypeError for an empty token.
 */
export function bearerCheck(token: string): BearerCheck {
  if (token === "") throw new TypeError("the bearer token is empty");
  const expected = digest(token);
  return (authorization) => {
    const m = /^bearer +(.+)$/i.exec(authorization ?? "");
    const given = digest(m?.[1]?.trim() ?? "");
    if (m === null || !timingSafeEqual(given, expected)) {
      throw new CaError("E_UNAUTHORIZED", "missing or wrong bearer token (Authorization: Bearer <token>)", {
        kind: "token",
      });
    }
  };
}
