/**
 * Where record files live in the spool directory (`spool-directory` of the collector configuration):
 *
 * ```
 * <spool>/<interface as a directory name>/<final name>.tmp    the active file of one (input, channel)
 * <spool>/<interface as a directory name>/<final name>        a closed file waiting for its export channel
 * ```
 *
 * The interface directory is the interface name made file-safe like an ifAlias (`cp-6/0/0` → `cp_6_0_0`), so no name
 * can climb out of the spool (`..`) or nest directories.
 */
import { join } from "node:path";
import { ifAliasFromName } from "../../wire/collector-file-name.ts";

/** Suffix of a record file while it is written (the active file); removed by the rename that closes it. */
export const TEMP_SUFFIX = ".tmp";

/** The directory of one collector interface's record files: `<spool>/<ifAliasFromName(interfaceName)>`. */
export function interfaceSpoolDirectory(spoolDirectory: string, interfaceName: string): string {
  return join(spoolDirectory, ifAliasFromName(interfaceName));
}

/** The temporary path of a record file whose final path is `finalPath`. */
export function temporaryPath(finalPath: string): string {
  return finalPath + TEMP_SUFFIX;
}
