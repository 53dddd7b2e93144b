/**
 * Exit statuses of the analytics commands, for scripts (docs/commands.md, "Exit statuses"). The first four are the
 * collector commands' (src/cli/collector/run-command.ts); a CA API refusal exits with 10 plus the spec's return code
 * (compute-agent-api.txt: EAGAIN = 1, EFAIL = 2, E_UNAUTHORIZED = 3, E_AoF = 4), so a script can tell them apart.
 */
import { RETURN_CODES, type ReturnCodeName } from "../../agent/return-codes.ts";

/** The fixed exit statuses. */
export const ANALYTICS_EXIT = {
  /** Done (EOK). */
  ok: 0,
  /** The agent answered, but not as the CA API does (another daemon at that address?). */
  failed: 1,
  /** A syntax error, a bad `--agent` URL, an unreadable token or CA file. */
  usage: 2,
  /** Nothing answered at the agent address (refused, timed out, TLS failure). */
  unreachable: 3,
  /** Added to the CA return code of a refusal. */
  returnCodeBase: 10,
} as const;

/** The exit status of a CA refusal: 11 EAGAIN, 12 EFAIL, 13 E_UNAUTHORIZED, 14 E_AoF. */
export function exitCodeOfReturnCode(code: Exclude<ReturnCodeName, "EOK">): number {
  return ANALYTICS_EXIT.returnCodeBase + RETURN_CODES[code];
}
