/**
 * `request services flow-collector test-file-transfer NAME interface X (channel-zero|channel-one) (primary|secondary)`
 * (flow-collector.txt, "Verifying Your Work"): a small text file named NAME is written to a fresh directory below the
 * test-file directory, uploaded once (no retry, outside the channel's queue, without touching server states or the
 * FTP counters) to the chosen server under the name NAME, its attempt written to the transfer log like any other
 * (`nr=0`), and the local copy deleted afterwards, whatever the outcome.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock, TransferResult } from "../contracts.ts";
import type { ServerRole } from "../status.ts";
import type { Destination } from "./destination.ts";
import { type TransferLogSink, transferLogEntry } from "./transfer-log.ts";
import { errorText, localFailure } from "./transfer-result.ts";

/** What one test transfer needs. */
export interface TestFileTransfer {
  /** The file name, as given (already checked with {@link isPlainFileName}). */
  name: string;
  interfaceName: string;
  channel: 0 | 1;
  role: ServerRole;
  destination: Destination;
  /** Directory below which the test file is written (created if missing). */
  directory: string;
  transferLog: TransferLogSink;
  clock: Clock;
  signal?: AbortSignal;
}

/** Whether `name` can be a file name of its own: non-empty, not `.`/`..`, no `/`, `\` or control character. */
export function isPlainFileName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && name.length <= 255 && !/[/\\\x00-\x1f\x7f]/.test(name);
}

/** The test file's content: what it is, where it was meant to go, when it was written (ISO 8601 UTC). */
export function testFileContent(
  t: Pick<TestFileTransfer, "interfaceName" | "channel" | "role">,
  nowMs: number,
): string {
  return (
    "flowlens flow collector test file transfer\n" +
    `interface: ${t.interfaceName}\nexport channel: ${t.channel}\nserver: ${t.role}\n` +
    `written: ${new Date(nowMs).toISOString()}\n`
  );
}

/** Runs one test transfer as the module describes; resolves with the attempt's result, never rejects. */
export async function runTestFileTransfer(t: TestFileTransfer): Promise<TransferResult> {
  const startedAt = t.clock();
  const content = testFileContent(t, startedAt);
  const size = Buffer.byteLength(content);
  let folder: string | undefined;
  let result: TransferResult;
  try {
    await mkdir(t.directory, { recursive: true });
    folder = await mkdtemp(join(t.directory, "test-"));
    const path = join(folder, t.name);
    await writeFile(path, content);
    result = await t.destination.upload(path, t.name, t.signal);
  } catch (e) {
    result = localFailure(errorText(e), 0, Math.max(0, t.clock() - startedAt));
  } finally {
    if (folder !== undefined) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
  t.transferLog.append(transferLogEntry({ name: t.name, size, records: 0 }, startedAt, t.destination.url, result));
  return result;
}
