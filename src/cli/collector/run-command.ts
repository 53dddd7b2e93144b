/**
 * Runs one flow collector operational command line (`show|clear|request services flow-collector ...`): parses it
 * (abbreviations, `?`, pipes), asks the admin API, formats the answer in the spec's layout (or as JSON for `| display
 * json`), applies the pipes. Returns the output and the exit status instead of printing, so it runs in tests as is.
 *
 * Exit status: 0 done; 1 the collector refused the request ("Destination not configured") or answered with an error
 * (unknown interface); 2 usage (syntax, bad `--admin`); 3 the admin API cannot be reached.
 */
import {
  type FilesResponse,
  type InputsResponse,
  type InterfacesResponse,
  interfacePath,
  type RequestResponse,
} from "../../collector/admin/admin-api.ts";
import { CommandGrammar } from "../junos/command-parser.ts";
import { formatCompletions } from "../junos/completions.ts";
import type { ParsedCommand } from "../junos/grammar.ts";
import { JunosSyntaxError } from "../junos/junos-errors.ts";
import { applyPipes, splitCommandLine, wantsJson } from "../junos/pipes.ts";
import {
  AdminClient,
  AdminResponseError,
  AdminUnreachableError,
  AdminUrlError,
  resolveAdminUrl,
} from "./admin-client.ts";
import { COLLECTOR_COMMANDS, type CollectorCommandId } from "./collector-grammar.ts";
import { formatFiles } from "./format-files.ts";
import { formatInputs } from "./format-inputs.ts";
import { formatInterfaces, type OutputLevel } from "./format-interface.ts";
import { formatRequestResults } from "./format-requests.ts";

/** Exit statuses of the operational commands. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

/** What a command line produced. */
export interface CommandResult {
  exitCode: number;
  /** Lines for stdout (without newlines). */
  stdout: string[];
  /** One line for stderr on failure, `flowlens: ...`. */
  stderr: string[];
}

/** Options of {@link runCollectorCommand}. */
export interface RunOptions {
  /** `--admin URL`; else `FLOWLENS_ADMIN` from `env`, else the default. */
  admin?: string;
  env?: NodeJS.ProcessEnv;
  /** Time limit per admin request, ms. */
  timeoutMs?: number;
}

const grammar = new CommandGrammar(COLLECTOR_COMMANDS);

/** What one command printed before pipes: the API body (for JSON), its text lines, whether it was refused. */
interface Answer {
  body: unknown;
  lines: string[];
  refused: boolean;
}

function requestAnswer(body: RequestResponse, prefix = ""): Answer {
  return { body, lines: formatRequestResults(body.results, prefix), refused: body.results.some((r) => r.refused) };
}

async function execute(command: ParsedCommand, client: AdminClient): Promise<Answer> {
  const v = command.values;
  const name = v.get("interface") ?? "all";
  const level = v.get("level") as OutputLevel | undefined;
  switch (command.spec.id as CollectorCommandId) {
    case "show-interface": {
      const body = await client.get<InterfacesResponse>(interfacePath(name));
      return { body, lines: formatInterfaces(body.interfaces, level), refused: false };
    }
    case "show-input": {
      const body = await client.get<InputsResponse>(interfacePath(name, "inputs"));
      return { body, lines: formatInputs(body.interfaces.flatMap((i) => i.inputs)), refused: false };
    }
    case "show-file": {
      const body = await client.get<FilesResponse>(interfacePath(name, "files"));
      return {
        body,
        lines: formatFiles(
          body.interfaces.flatMap((i) => i.files),
          level,
        ),
        refused: false,
      };
    }
    case "clear-statistics":
      return requestAnswer(await client.post<RequestResponse>(interfacePath(name, "clear-statistics")));
    case "change-destination":
      return requestAnswer(
        await client.post<RequestResponse>(interfacePath(name, "change-destination"), {
          server: v.get("server"),
          immediately: v.get("mode") === "immediately",
          clearFiles: v.has("clear-files"),
          clearLogs: v.has("clear-logs"),
        }),
      );
    case "test-file-transfer":
      return requestAnswer(
        await client.post<RequestResponse>(interfacePath(name, "test-file-transfer"), {
          file: v.get("file"),
          channel: v.get("channel") === "channel-one" ? 1 : 0,
          server: v.get("server"),
        }),
        "Response: ",
      );
  }
}

function failure(exitCode: number, message: string): CommandResult {
  return { exitCode, stdout: [], stderr: [`flowlens: ${message.split("\n", 1)[0]}`] };
}

/**
 * Runs `verb` (`show`, `clear`, `request`) with the words after it (pipes included, in any of their quoted forms).
 * Throws only for unexpected failures; every expected one is in the result's exit status and stderr line.
 */
export async function runCollectorCommand(
  verb: string,
  words: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  try {
    const line = splitCommandLine(words);
    const outcome = grammar.parse([verb, ...line.command]);
    if (outcome.kind === "help")
      return { exitCode: EXIT.ok, stdout: formatCompletions(outcome.completions), stderr: [] };
    if (line.help !== undefined) return { exitCode: EXIT.ok, stdout: formatCompletions(line.help), stderr: [] };
    const client = new AdminClient(resolveAdminUrl(options.admin, options.env ?? process.env), options.timeoutMs);
    const answer = await execute(outcome.command, client);
    const text = wantsJson(line.stages) ? JSON.stringify(answer.body, null, 2).split("\n") : answer.lines;
    return { exitCode: answer.refused ? EXIT.refused : EXIT.ok, stdout: applyPipes(text, line.stages), stderr: [] };
  } catch (e) {
    if (e instanceof JunosSyntaxError || e instanceof AdminUrlError) return failure(EXIT.usage, e.message);
    if (e instanceof AdminUnreachableError) return failure(EXIT.unreachable, e.message);
    if (e instanceof AdminResponseError) return failure(EXIT.refused, e.message);
    throw e;
  }
}
