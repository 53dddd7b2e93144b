/**
 * Junos unique-prefix abbreviation: a word names the keyword it equals, or else the one keyword it is a prefix of
 * (`sh ser flow int all det`). Two or more keywords sharing the prefix make the word ambiguous.
 */
import { JunosSyntaxError } from "./junos-errors.ts";

/** What a word matched among the candidate keywords. */
export type KeywordMatch =
  | { readonly kind: "match"; readonly word: string }
  | { readonly kind: "ambiguous"; readonly matches: readonly string[] }
  | { readonly kind: "none" };

/** Matches `word` (case-sensitive, as Junos) against `candidates`: an exact match wins over prefixes. */
export function matchKeyword(word: string, candidates: Iterable<string>): KeywordMatch {
  const matches: string[] = [];
  for (const c of candidates) {
    if (c === word) return { kind: "match", word: c };
    if (word.length > 0 && c.startsWith(word) && !matches.includes(c)) matches.push(c);
  }
  if (matches.length === 1) return { kind: "match", word: matches[0]! };
  if (matches.length > 1) return { kind: "ambiguous", matches: matches.sort() };
  return { kind: "none" };
}

/**
 * The keyword `word` names among `candidates`.
 * @throws JunosSyntaxError when it is ambiguous or names none, listing the choices.
 */
export function expectKeyword(word: string, candidates: readonly string[]): string {
  const m = matchKeyword(word, candidates);
  if (m.kind === "match") return m.word;
  if (m.kind === "ambiguous") throw new JunosSyntaxError(`'${word}' is ambiguous`, m.matches);
  throw new JunosSyntaxError(`syntax error at '${word}'`, [...candidates].sort());
}
