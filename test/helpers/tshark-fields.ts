/** tshark as an independent decoder for tests: the chosen fields of every packet of a capture file. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/**
 * Runs `tshark -r pcap -T fields -E separator=| -e F ...` and returns one row per packet, the values in the order of
 * `fields` (a field with several occurrences, such as `ip.src` of an encapsulated packet, is one value joined by
 * commas; a missing one is ""). Fails the calling test with tshark's stderr when tshark fails.
 */
export function tsharkFields(pcap: string, fields: readonly string[]): string[][] {
  const args = ["-r", pcap, "-T", "fields", "-E", "separator=|", ...fields.flatMap((f) => ["-e", f])];
  const read = spawnSync("tshark", args, { encoding: "utf8" });
  assert.equal(read.status, 0, read.stderr);
  return read.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("|"));
}
