/**
 * NATS subject tokens for flowlens names. A subject token may not hold `.`, `*`, `>` or whitespace, but collector
 * interface and input names (`cp-6/0/0`, `mo-7/1/0.0`), agent names and flow keys do; {@link subjectToken} escapes every
 * byte outside `[A-Za-z0-9_-]` as `%XX` (upper-case hex of its UTF-8 bytes), so the mapping is reversible
 * ({@link fromSubjectToken}) and two names never share a token.
 */

const SAFE = /^[A-Za-z0-9_-]$/;

/** Prefix of the record subjects: `flowlens.records.<interface>.<input>`. */
export const RECORD_SUBJECT_PREFIX = "flowlens.records";
/** Prefix of the path subjects: `flowlens.paths.<agent>.<flow key>`. */
export const PATH_SUBJECT_PREFIX = "flowlens.paths";

/** `name` as one subject token (never empty: `""` becomes `%`). */
export function subjectToken(name: string): string {
  if (name === "") return "%";
  let out = "";
  for (const ch of name) {
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const b of Buffer.from(ch, "utf8")) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The name a token of {@link subjectToken} stands for.
 * @throws URIError for a token that is not such an escape.
 */
export function fromSubjectToken(token: string): string {
  return token === "%" ? "" : decodeURIComponent(token);
}

/** `flowlens.records.<interface>.<input>` for one collector interface and input. */
export function recordSubject(interfaceName: string, input: string): string {
  return `${RECORD_SUBJECT_PREFIX}.${subjectToken(interfaceName)}.${subjectToken(input)}`;
}

/** The interface and input of a record subject, or undefined when `subject` is not one. */
export function parseRecordSubject(subject: string): { interfaceName: string; input: string } | undefined {
  const parts = subject.split(".");
  if (parts.length !== 4 || `${parts[0]}.${parts[1]}` !== RECORD_SUBJECT_PREFIX) return undefined;
  try {
    return { interfaceName: fromSubjectToken(parts[2]), input: fromSubjectToken(parts[3]) };
  } catch {
    return undefined;
  }
}

/** `flowlens.paths.<agent>.<flow key>` for one agent and trace key. */
export function pathSubject(agent: string, key: string): string {
  return `${PATH_SUBJECT_PREFIX}.${subjectToken(agent)}.${subjectToken(key)}`;
}
