/**
 * Errors of the Junos-style command line: one class, one stable code, a one-line message that lists what would have
 * been accepted. The commands exit with status 2 (usage) on it.
 */

/** A command line that does not parse: unknown, ambiguous or missing word, bad pipe. Code `ERR_JUNOS_SYNTAX`. */
export class JunosSyntaxError extends Error {
  readonly code = "ERR_JUNOS_SYNTAX";
  /** The words that would have been accepted at the failing position (may be empty). */
  readonly choices: readonly string[];

  constructor(message: string, choices: readonly string[] = []) {
    super(choices.length === 0 ? message : `${message} (choices: ${choices.join(", ")})`);
    this.name = "JunosSyntaxError";
    this.choices = choices;
  }
}
