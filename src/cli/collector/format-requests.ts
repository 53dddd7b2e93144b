/**
 * The answers of `clear services flow-collector statistics` and `request services flow-collector change-destination |
 * test-file-transfer` as Junos prints them (flow-collector.txt): per interface, its name and state, then the message
 * ("Destination change successful", "Statistics cleared successfully"); test-file-transfer prefixes it with
 * `Response: `.
 */
import type { RequestResult } from "../../collector/admin/admin-api.ts";
import { interfaceHeading } from "./format-interface.ts";

/** The lines of request results; `prefix` goes before each message (`Response: `). */
export function formatRequestResults(results: readonly RequestResult[], prefix = ""): string[] {
  return results.flatMap((r) => {
    const message = prefix !== "" && r.message.startsWith(prefix) ? r.message : prefix + r.message;
    return [...interfaceHeading(r.interface, r.state), `  ${message}`];
  });
}
