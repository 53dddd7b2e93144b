/**
 * The grammar of the flow collector's operational commands (flow-collector.txt, "Verifying Your Work"):
 *
 * ```
 * show services flow-collector [interface (all | NAME)] [terse | detail | extensive]
 * show services flow-collector input interface (all | NAME) [terse | detail | extensive]
 * show services flow-collector file interface (all | NAME) [terse | detail | extensive]
 * clear services flow-collector statistics (all | interface (all | NAME))
 * request services flow-collector change-destination (primary | secondary) interface NAME
 *     [immediately | gracefully] [clear-files] [clear-logs]
 * request services flow-collector test-file-transfer FILE interface NAME (channel-zero | channel-one)
 *     (primary | secondary)
 * ```
 *
 * Parameters come in any order after the path, as on Junos (`change-destination interface cp-6/0/0 primary`).
 */
import type { ChoiceParam, CommandSpec, Keyword, ValueParam } from "../junos/grammar.ts";

/** Command ids the runner dispatches on. */
export type CollectorCommandId =
  | "show-interface"
  | "show-input"
  | "show-file"
  | "clear-statistics"
  | "change-destination"
  | "test-file-transfer";

const ALL: Keyword = { word: "all", help: "All flow collector interfaces" };

const anyInterface: ValueParam = {
  kind: "value",
  key: "interface",
  keyword: { word: "interface", help: "Flow collector interface" },
  valueName: "interface-name",
  valueHelp: "Name of flow collector interface (cp-fpc/pic/port)",
  valueKeywords: [ALL],
};

const oneInterface: ValueParam = { ...anyInterface, valueKeywords: [] };

/** `terse | detail | extensive`, the output level of a `show` command (key `level`); the analytics commands' too. */
export const LEVEL: ChoiceParam = {
  kind: "choice",
  key: "level",
  choices: [
    { word: "terse", help: "Display terse output" },
    { word: "detail", help: "Display detailed output" },
    { word: "extensive", help: "Display extensive output" },
  ],
};

const server: ChoiceParam = {
  kind: "choice",
  key: "server",
  choices: [
    { word: "primary", help: "Primary FTP server" },
    { word: "secondary", help: "Secondary FTP server" },
  ],
};

const FLOW_COLLECTOR: Keyword = { word: "flow-collector", help: "Flow collector interfaces" };
/** The `show` verb, a `flowlens` sub-command shared with the analytics commands (src/cli/analytics/). */
export const SHOW: Keyword = { word: "show", help: "Show information about the system" };
const CLEAR: Keyword = { word: "clear", help: "Clear information in the system" };
/** The `request` verb, a `flowlens` sub-command shared with the analytics commands (src/cli/analytics/). */
export const REQUEST: Keyword = { word: "request", help: "Make system-level requests" };

function path(verb: Keyword, ...rest: Keyword[]): Keyword[] {
  return [verb, { word: "services", help: "Service information" }, FLOW_COLLECTOR, ...rest];
}

/** Every flow collector command. */
export const COLLECTOR_COMMANDS: readonly CommandSpec[] = [
  { id: "show-interface", path: path(SHOW), params: [anyInterface, LEVEL] },
  {
    id: "show-input",
    path: path(SHOW, { word: "input", help: "Show packets received from input (monitoring) interfaces" }),
    params: [anyInterface, LEVEL],
    required: ["interface"],
  },
  {
    id: "show-file",
    path: path(SHOW, { word: "file", help: "Show flow collector files" }),
    params: [anyInterface, LEVEL],
    required: ["interface"],
  },
  {
    id: "clear-statistics",
    path: path(CLEAR, { word: "statistics", help: "Clear flow collector statistics" }),
    params: [anyInterface, { kind: "choice", key: "interface", choices: [ALL] }],
    required: ["interface"],
  },
  {
    id: "change-destination",
    path: path(REQUEST, { word: "change-destination", help: "Change the FTP server of the export channels" }),
    params: [
      server,
      oneInterface,
      {
        kind: "choice",
        key: "mode",
        choices: [
          { word: "immediately", help: "Switch at once, aborting a transfer in progress" },
          { word: "gracefully", help: "Switch after the current transfer (default)" },
        ],
      },
      {
        kind: "flag",
        key: "clear-files",
        keyword: { word: "clear-files", help: "Purge the files waiting for transfer" },
      },
      { kind: "flag", key: "clear-logs", keyword: { word: "clear-logs", help: "Purge the transfer logs" } },
    ],
    required: ["server", "interface"],
  },
  {
    id: "test-file-transfer",
    path: path(REQUEST, { word: "test-file-transfer", help: "Schedule the transfer of a test file" }),
    positional: { key: "file", valueName: "filename", help: "Name of the test file" },
    params: [
      oneInterface,
      {
        kind: "choice",
        key: "channel",
        choices: [
          { word: "channel-zero", help: "Export channel 0" },
          { word: "channel-one", help: "Export channel 1" },
        ],
      },
      server,
    ],
    required: ["interface", "channel", "server"],
  },
];

/** The verbs, each a `flowlens` sub-command. */
export const COLLECTOR_VERBS: readonly Keyword[] = [SHOW, CLEAR, REQUEST];
