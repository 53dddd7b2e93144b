/**
 * Reads facts straight from the spec text (../shared/spec/compute-agent-api.txt) so the conformance tests check the
 * agent against the document, not against our reading of it: every example request URL (lines the PDF extraction broke
 * after `&` joined again), the element names of each table, and the `ID` strings of the examples.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Absolute path of the spec beside the project. */
export const SPEC_PATH = fileURLToPath(new URL("../../../shared/spec/compute-agent-api.txt", import.meta.url));

/** Whether the spec is present (it is in CI: ../shared beside the checkout). */
export const HAVE_SPEC = existsSync(SPEC_PATH);

let cached: string | null = null;

/** The spec text. */
export function specText(): string {
  cached ??= readFileSync(SPEC_PATH, "utf8");
  return cached;
}

/**
 * Every example request of the CA API in the spec, as path + query (`/start/flow?dport=9000&...`), in document order.
 * A URL broken across lines after `&` is joined with the next line's first word.
 */
export function exampleRequests(text = specText()): string[] {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    for (const m of lines[i]!.matchAll(/https?:\/\/[^\s<>`)\]]+/g)) {
      let url = m[0];
      let j = i;
      while (url.endsWith("&") && j + 1 < lines.length) {
        j++;
        const next = /^\s*([^\s<>`)\]]+)/.exec(lines[j]!);
        if (next !== null) url += next[1];
      }
      const at = /^https?:\/\/[^/]+:8080(\/.*)$/.exec(url);
      if (at !== null) out.push(at[1]!);
    }
  }
  return out;
}

/** Element names of table `n` (the first column of every row of every part of the table). */
export function tableElements(n: number, text = specText()): string[] {
  const lines = text.split("\n");
  const names: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(`Table ${n}: `)) continue;
    let j = i + 1;
    while (j < lines.length && !lines[j]!.includes("\t")) j++;
    if (j >= lines.length || !/^(Element Name|Flow Resource Parameters|Tuple Value)\t/.test(lines[j]!)) continue;
    for (j++; j < lines.length && lines[j]!.includes("\t"); j++) {
      const name = lines[j]!.split("\t", 1)[0]!.trim();
      if (name !== "" && !names.includes(name)) names.push(name);
    }
  }
  return names;
}

/** The `ID` strings of the spec's Path examples (`"('10.1.1.1', '10.1.7.1', 6, 4567, 9000)"`), garbled keys included. */
export function exampleIds(text = specText()): string[] {
  return [...text.matchAll(/ID': "(\([^"]*\))"/g)].map((m) => m[1]!);
}
