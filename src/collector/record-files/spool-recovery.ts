/**
 * Spool recovery at start (the collector's answer to a SIGKILL or a power loss while record files were open). For each
 * configured collector interface it scans `<spool>/<interface>/`:
 *
 * - every temporary file (`<final name>.tmp`, an active file left behind) is walked member by member
 *   ({@link scanGzipMembers}); it is cut after its last complete gzip member (a torn last member is dropped), its
 *   records (lines) are counted, and it is renamed to its final name; a file with no complete member is deleted;
 * - every closed file (a final name: closed but never shipped, since shipping removes what it exported) is walked the
 *   same way (and cut if damaged) to learn its figures.
 *
 * Both are returned as {@link ClosedRecordFile}s, oldest first, for the export queues. Files whose names do not have
 * the interface's `name-format` are left alone and listed. Nothing throws for one bad file: its error is listed and
 * the scan goes on. Run it before the interface's writers start (two collectors on one spool are not supported).
 */
import type { Dirent } from "node:fs";
import { readdir, rename, stat, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../runtime/logger.ts";
import {
  CollectorFileNameFormat,
  type CollectorFileNameFields,
  ifAliasFromName,
} from "../../wire/collector-file-name.ts";
import { ipv4FromString } from "../../wire/ipv4-address.ts";
import type { CollectorInterfaceConfig } from "../config.ts";
import type { Clock, ClosedRecordFile } from "../contracts.ts";
import { RecordFileIoError, systemErrorCode, withIoError as fsStep } from "./errors.ts";
import { nodeRecordFileOps } from "./file-ops.ts";
import { type GzipTornReason, scanGzipMembers } from "./gzip-members.ts";
import { interfaceSpoolDirectory, TEMP_SUFFIX } from "./spool-layout.ts";

/** What {@link recoverSpool} scans. */
export interface SpoolRecoveryOptions {
  /** `spool-directory`. */
  spoolDirectory: string;
  /** The configured collector interfaces (`interfaces` of the collector configuration). */
  interfaces: Record<string, CollectorInterfaceConfig>;
  /** Closing time of recovered temporary files; default `Date.now`. */
  clock?: Clock;
  /** Logs what was recovered, cut and failed (component `spool-recovery`). */
  logger?: Logger;
}

/** A temporary file that was kept. */
export interface RecoveredTemporaryFile {
  temporaryPath: string;
  /** The path it was renamed to. */
  path: string;
  /** Complete members kept, and bytes cut after them (0 when the file ended on a member boundary). */
  members: number;
  cutBytes: number;
  records: number;
  /** Why bytes were cut. */
  torn: GzipTornReason | null;
}

/** A file that could not be scanned, cut or renamed; it is left where it is. */
export interface SpoolRecoveryFailure {
  path: string;
  /** `ERR_RECORD_FILE_IO` (with `errno`) or `ERR_RECORD_FILE_NAME_TAKEN`. */
  code: string;
  errno?: string;
  message: string;
}

/** The outcome of a spool scan. */
export interface SpoolRecoveryResult {
  /** Files for the export queues (recovered temporary files and closed files), oldest first. */
  files: ClosedRecordFile[];
  /** Temporary files kept and renamed. */
  recovered: RecoveredTemporaryFile[];
  /** Files deleted because no complete member was left. */
  deleted: string[];
  /** Files whose names are not record file names of their interface, left alone. */
  ignored: string[];
  failures: SpoolRecoveryFailure[];
}

interface InterfaceContext {
  interfaceName: string;
  config: CollectorInterfaceConfig;
  directory: string;
  format: CollectorFileNameFormat;
  result: SpoolRecoveryResult;
  now: number;
}

/** Attempts, one second later each, to find a free final name for a recovered temporary file. */
const NAME_ATTEMPTS = 60;

async function listFiles(directory: string): Promise<Dirent[]> {
  try {
    return (await readdir(directory, { withFileTypes: true })).filter((d) => d.isFile());
  } catch (e) {
    if (systemErrorCode(e) === "ENOENT") return [];
    throw new RecordFileIoError("open", directory, e);
  }
}

function parseName(format: CollectorFileNameFormat, name: string): Partial<CollectorFileNameFields> | null {
  try {
    return format.parse(name);
  } catch {
    return null;
  }
}

/** The input a file belongs to: the first input with the file's ifAlias on the file's channel, else any with it. */
function inputOf(config: CollectorInterfaceConfig, ifAlias: string | undefined, channel: 0 | 1): string {
  const entries = Object.entries(config.inputs);
  const alias = (name: string) => config.inputs[name]["if-alias"] ?? ifAliasFromName(name);
  const exact = entries.find(([name, cfg]) => alias(name) === ifAlias && cfg.channels.includes(channel));
  const loose = exact ?? entries.find(([name]) => alias(name) === ifAlias);
  return loose?.[0] ?? ifAlias ?? "";
}

/** A final name not taken yet: the file's own, or the same fields one second (and one sequence number) later. */
async function freeName(
  ctx: InterfaceContext,
  name: string,
  fields: Partial<CollectorFileNameFields>,
): Promise<string> {
  const full: CollectorFileNameFields = {
    analyzerId: fields.analyzerId ?? ctx.config["analyzer-id"],
    analyzerAddress: fields.analyzerAddress ?? ipv4FromString(ctx.config["analyzer-address"]),
    channel: fields.channel ?? 0,
    ifAlias: fields.ifAlias ?? "",
    time: fields.time ?? Math.floor(ctx.now / 1000),
    sequence: fields.sequence ?? 0,
  };
  let candidate = name;
  for (let k = 1; k <= NAME_ATTEMPTS; k++) {
    if (!(await nodeRecordFileOps.exists(join(ctx.directory, candidate)))) return candidate;
    candidate = ctx.format.name({ ...full, time: full.time + k, sequence: (full.sequence ?? 0) + k });
  }
  throw Object.assign(new Error(`no free file name for ${name}`), { code: "ERR_RECORD_FILE_NAME_TAKEN" });
}

/** Scans, cuts, renames and describes one file; returns null when it was deleted. */
async function recoverFile(ctx: InterfaceContext, entry: string): Promise<void> {
  const temporary = entry.endsWith(TEMP_SUFFIX);
  let name = temporary ? entry.slice(0, -TEMP_SUFFIX.length) : entry;
  const fields = parseName(ctx.format, name);
  if (fields === null) {
    ctx.result.ignored.push(join(ctx.directory, entry));
    return;
  }
  const path = join(ctx.directory, entry);
  const scan = await fsStep("open", path, () => scanGzipMembers(path));
  if (scan.validBytes < scan.fileBytes) await fsStep("truncate", path, () => truncate(path, scan.validBytes));
  if (scan.members === 0) {
    await fsStep("unlink", path, () => unlink(path));
    ctx.result.deleted.push(path);
    return;
  }
  if (temporary) {
    name = await freeName(ctx, name, fields);
    await fsStep("rename", path, () => rename(path, join(ctx.directory, name)));
  }
  const finalPath = join(ctx.directory, name);
  const info = await fsStep("open", finalPath, () => stat(finalPath));
  const channel: 0 | 1 = fields.channel === 1 ? 1 : 0;
  ctx.result.files.push({
    path: finalPath,
    name,
    interfaceName: ctx.interfaceName,
    input: inputOf(ctx.config, fields.ifAlias, channel),
    channel,
    records: scan.lines,
    uncompressedBytes: scan.uncompressedBytes,
    compressedBytes: scan.validBytes,
    compressedBlocks: scan.members,
    createdAtMs: fields.time !== undefined ? fields.time * 1000 : info.mtimeMs,
    closedAtMs: temporary ? ctx.now : info.mtimeMs,
  });
  if (temporary) {
    ctx.result.recovered.push({
      temporaryPath: path,
      path: finalPath,
      members: scan.members,
      cutBytes: scan.fileBytes - scan.validBytes,
      records: scan.lines,
      torn: scan.torn,
    });
  }
}

function failure(path: string, e: unknown): SpoolRecoveryFailure {
  if (e instanceof RecordFileIoError) return { path: e.path, code: e.code, errno: e.errno, message: e.message };
  return { path, code: systemErrorCode(e) ?? "ERR_RECORD_FILE_IO", message: String((e as Error)?.message ?? e) };
}

async function recoverInterface(ctx: InterfaceContext, logger: Logger | undefined): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await listFiles(ctx.directory);
  } catch (e) {
    ctx.result.failures.push(failure(ctx.directory, e));
    return;
  }
  for (const entry of entries.map((d) => d.name).sort()) {
    try {
      await recoverFile(ctx, entry);
    } catch (e) {
      const f = failure(join(ctx.directory, entry), e);
      ctx.result.failures.push(f);
      logger?.error({ ...f }, `spool recovery failed: ${f.message}`);
    }
  }
}

/**
 * Recovers the spool of every configured interface (see the module comment). Never throws for a file or directory
 * that cannot be handled: it is listed in `failures`.
 */
export async function recoverSpool(options: SpoolRecoveryOptions): Promise<SpoolRecoveryResult> {
  const result: SpoolRecoveryResult = { files: [], recovered: [], deleted: [], ignored: [], failures: [] };
  const now = (options.clock ?? Date.now)();
  const logger = options.logger?.child({ component: "spool-recovery" });
  for (const [interfaceName, config] of Object.entries(options.interfaces)) {
    const directory = interfaceSpoolDirectory(options.spoolDirectory, interfaceName);
    const format = new CollectorFileNameFormat(config["file-specification"]["name-format"]);
    await recoverInterface({ interfaceName, config, directory, format, result, now }, logger);
  }
  result.files.sort((a, b) => a.createdAtMs - b.createdAtMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const r of result.recovered) {
    logger?.info(
      { path: r.path, members: r.members, records: r.records, cutBytes: r.cutBytes },
      "record file recovered",
    );
  }
  return result;
}
