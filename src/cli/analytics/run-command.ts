/**
 * Runs one analytics command line (`show analytics ...`, `request analytics ...`): parses it with the Junos machinery
 * (abbreviations, `?`, pipes), asks the agent's CA API, formats the answer (or prints the API's JSON for `| display
 * json`), applies the pipes. Returns the output and the exit status instead of printing, so tests run it as is.
 *
 * Exit status (exit-codes.ts): 0 done; 1 the agent answered but not as the CA API does; 2 usage; 3 agent unreachable;
 * 11 EAGAIN, 12 EFAIL, 13 E_UNAUTHORIZED, 14 E_AoF (10 plus the spec's return code).
 */
import type { ListedFlowGroup } from "../../agent/flow-source.ts";
import { IANA_PROTOCOL, pythonTupleRepr } from "../../agent/identifiers.ts";
import type { PathObject } from "../../agent/path-object.ts";
import type { CommandResult } from "../collector/run-command.ts";
import { CommandGrammar } from "../junos/command-parser.ts";
import { formatCompletions } from "../junos/completions.ts";
import type { ParsedCommand } from "../junos/grammar.ts";
import { JunosSyntaxError } from "../junos/junos-errors.ts";
import { applyPipes, splitCommandLine, wantsJson } from "../junos/pipes.ts";
import { AgentClient, type AgentConnectionOptions, resolveAgentConnection } from "./agent-client.ts";
import {
  AgentCredentialsError,
  AgentRefusedError,
  AgentResponseError,
  AgentUnreachableError,
  AgentUrlError,
} from "./agent-errors.ts";
import { ALL_ORIGINATORS, ANALYTICS_COMMANDS, type AnalyticsCommandId, QUERY_NAMES } from "./analytics-grammar.ts";
import { ANALYTICS_EXIT, exitCodeOfReturnCode } from "./exit-codes.ts";
import {
  type ActiveFlowTuple,
  type ActiveTunnelTuple,
  type FlowsView,
  formatFlows,
  type LastRound,
  type TraceOwner,
} from "./format-flows.ts";
import { formatPath } from "./format-path.ts";
import type { AnalyticsLevel } from "./format-units.ts";

/** Options of {@link runAnalyticsCommand}: how to reach the agent, the environment, a time limit per request (ms). */
export interface AnalyticsRunOptions extends AgentConnectionOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

const grammar = new CommandGrammar(ANALYTICS_COMMANDS);

/** What one command printed before pipes: the API body (for JSON) and its text lines. */
interface Answer {
  body: unknown;
  lines: string[];
}

/** The CA query of the parsed values (grammar keys → the API's parameter names, values as typed). */
function queryOf(values: ReadonlyMap<string, string>, keys?: readonly string[]): URLSearchParams {
  const query = new URLSearchParams();
  for (const [key, value] of values) {
    const name = QUERY_NAMES[key];
    if (name !== undefined && (keys === undefined || keys.includes(key))) query.set(name, value);
  }
  return query;
}

/** The Path `ID` of the flow the values name, with the API's defaults (udp, ports 33434). */
function flowId(v: ReadonlyMap<string, string>): string {
  const proto = (v.get("proto") ?? "udp").toLowerCase() as keyof typeof IANA_PROTOCOL;
  const port = (key: string) => Number(v.get(key) ?? 33434);
  return pythonTupleRepr([v.get("src")!, v.get("dst")!, IANA_PROTOCOL[proto] ?? proto, port("sport"), port("dport")]);
}

/** The Path `ID` of the tunnel the values name (Table 16's order). */
function tunnelId(v: ReadonlyMap<string, string>): string {
  return pythonTupleRepr([v.get("src")!, v.get("dst")!, Number(v.get("vnid")), v.get("appsrc")!, v.get("appdst")!]);
}

function requesterText(originator: string | undefined): string {
  return originator === undefined ? "started without originator from this address" : `originator ${originator}`;
}

async function lastRound(
  client: AgentClient,
  resource: "data/flow" | "data/tunnel",
  query: URLSearchParams,
  originator: string | undefined,
): Promise<LastRound> {
  try {
    const path = (await client.get<PathObject>(resource, query, originator)).body;
    return { kind: "path", time: path.Time, hops: path.Path.length, reached: path.DestinationReached };
  } catch (e) {
    if (e instanceof AgentRefusedError) return { kind: "none", reason: e.message };
    throw e;
  }
}

/** The fields of `GET /api/v1/traces` the command reads (src/agent/traces-route.ts, TraceInfo). */
interface ListedTrace {
  kind: "flow" | "tunnel";
  tuple: Record<string, string | number>;
  originator: string | null;
  address: string;
  state: "active" | "stopping";
  params: { sfreq: number };
  pendingParams: unknown;
  lastRoundAt: number | null;
  lastError: string | null;
  destinationReached: boolean | null;
  hops: number | null;
}

function roundOf(trace: ListedTrace): LastRound {
  if (trace.lastRoundAt !== null) {
    return { kind: "path", time: trace.lastRoundAt, hops: trace.hops ?? 0, reached: trace.destinationReached === true };
  }
  const reason =
    trace.lastError === null ? "the first round has not completed yet" : `last round failed: ${trace.lastError}`;
  return { kind: "none", reason };
}

function ownerOf(trace: ListedTrace): TraceOwner {
  const { originator, address, state } = trace;
  return { originator, address, state, sfreq: trace.params.sfreq, pending: trace.pendingParams !== null };
}

/** `show analytics flows originator all`: list/flow and every Originator's traces (`GET /api/v1/traces`). */
async function showAllFlows(client: AgentClient, v: ReadonlyMap<string, string>): Promise<Answer> {
  const list = new URLSearchParams(v.has("active") ? { active: "True" } : {});
  const [flows, listed] = await Promise.all([
    client.get<{ FLOWS: ListedFlowGroup[] }>("list/flow", list),
    client.get<{ traces: ListedTrace[] }>("api/v1/traces", new URLSearchParams()),
  ]);
  if (!Array.isArray(listed.body?.traces)) {
    throw new AgentResponseError(`${client.connection.url} did not answer api/v1/traces with a trace list`);
  }
  const level = v.get("level") as AnalyticsLevel | undefined;
  const flowTraces = listed.body.traces.filter((t) => t.kind === "flow");
  const tunnelTraces = listed.body.traces.filter((t) => t.kind === "tunnel");
  const t = (trace: ListedTrace) => trace.tuple;
  let view: FlowsView = {
    flows: flows.body.FLOWS,
    activeFlows: flowTraces.map((x): ActiveFlowTuple => {
      const { dst, src, proto, sport, dport } = t(x);
      return [String(dst), String(src), String(proto), Number(sport), Number(dport)];
    }),
    activeTunnels: tunnelTraces.map((x): ActiveTunnelTuple => {
      const { src, dst, appdst, appsrc, vnid, sport } = t(x);
      return [String(src), String(dst), String(appdst), String(appsrc), Number(vnid), Number(sport)];
    }),
    requester: "all originators",
    owners: { flows: flowTraces.map(ownerOf), tunnels: tunnelTraces.map(ownerOf) },
  };
  if (level === "extensive") {
    view = { ...view, flowRounds: flowTraces.map(roundOf), tunnelRounds: tunnelTraces.map(roundOf) };
  }
  return { body: { "list/flow": flows.body, "api/v1/traces": listed.body }, lines: formatFlows(view, level) };
}

async function showFlows(client: AgentClient, v: ReadonlyMap<string, string>): Promise<Answer> {
  const originator = v.get("originator");
  if (originator === ALL_ORIGINATORS) return showAllFlows(client, v);
  const list = new URLSearchParams(v.has("active") ? { active: "True" } : {});
  const none = new URLSearchParams();
  const [flows, activeFlows, activeTunnels] = await Promise.all([
    client.get<{ FLOWS: ListedFlowGroup[] }>("list/flow", list),
    client.get<{ flows: ActiveFlowTuple[] }>("active/flow", none, originator),
    client.get<{ flows: ActiveTunnelTuple[] }>("active/tunnel", none, originator),
  ]);
  const level = v.get("level") as AnalyticsLevel | undefined;
  let view: FlowsView = {
    flows: flows.body.FLOWS,
    activeFlows: activeFlows.body.flows,
    activeTunnels: activeTunnels.body.flows,
    requester: requesterText(originator),
  };
  const body: Record<string, unknown> = {
    "list/flow": flows.body,
    "active/flow": activeFlows.body,
    "active/tunnel": activeTunnels.body,
  };
  if (level === "extensive") {
    const flowQuery = ([dst, src, proto, sport, dport]: ActiveFlowTuple) =>
      new URLSearchParams({ src, dst, proto, sport: String(sport), dport: String(dport) });
    const tunnelQuery = ([src, dst, appdst, appsrc, vnid, sport]: ActiveTunnelTuple) =>
      new URLSearchParams({ src, dst, appsrc, appdst, vnid: String(vnid), sport: String(sport) });
    const flowRounds = await Promise.all(
      view.activeFlows.map((t) => lastRound(client, "data/flow", flowQuery(t), originator)),
    );
    const tunnelRounds = await Promise.all(
      view.activeTunnels.map((t) => lastRound(client, "data/tunnel", tunnelQuery(t), originator)),
    );
    view = { ...view, flowRounds, tunnelRounds };
    body.rounds = { flows: flowRounds, tunnels: tunnelRounds };
  }
  return { body, lines: formatFlows(view, level) };
}

async function execute(command: ParsedCommand, client: AgentClient): Promise<Answer> {
  const v = command.values;
  const originator = v.get("originator");
  const level = v.get("level") as AnalyticsLevel | undefined;
  const id = command.spec.id as AnalyticsCommandId;
  switch (id) {
    case "show-flows":
      return showFlows(client, v);
    case "show-flow-path":
    case "show-tunnel-path": {
      const kind = id === "show-flow-path" ? "flow" : "tunnel";
      const path = (await client.get<PathObject>(`data/${kind}`, queryOf(v), originator)).body;
      return { body: path, lines: formatPath(kind, path, level) };
    }
    case "start-flow":
    case "stop-flow":
    case "start-tunnel":
    case "stop-tunnel": {
      const [verb, kind] = id.split("-") as ["start" | "stop", "flow" | "tunnel"];
      const envelope = (await client.get<unknown>(`${verb}/${kind}`, queryOf(v), originator)).body;
      const name = kind === "flow" ? `Flow ${flowId(v)}` : `Tunnel ${tunnelId(v)}`;
      const what = verb === "start" ? "start accepted (applied from the next round)" : "stop accepted";
      return { body: envelope, lines: [`${name}: ${what}, EOK`] };
    }
  }
}

function failure(exitCode: number, message: string, stdout: string[] = []): CommandResult {
  return { exitCode, stdout, stderr: [`flowlens: ${message.split("\n", 1)[0]}`] };
}

/**
 * Runs `verb` (`show`, `request`) with the words after it (pipes included, in any of their quoted forms). Throws only
 * for unexpected failures; every expected one is in the result's exit status and stderr line.
 */
export async function runAnalyticsCommand(
  verb: string,
  words: readonly string[],
  options: AnalyticsRunOptions = {},
): Promise<CommandResult> {
  let json = false;
  try {
    const line = splitCommandLine(words);
    json = wantsJson(line.stages);
    const outcome = grammar.parse([verb, ...line.command]);
    if (outcome.kind === "help") {
      return { exitCode: ANALYTICS_EXIT.ok, stdout: formatCompletions(outcome.completions), stderr: [] };
    }
    if (line.help !== undefined)
      return { exitCode: ANALYTICS_EXIT.ok, stdout: formatCompletions(line.help), stderr: [] };
    const client = new AgentClient(resolveAgentConnection(options, options.env ?? process.env), options.timeoutMs);
    const answer = await execute(outcome.command, client);
    const text = json ? JSON.stringify(answer.body, null, 2).split("\n") : answer.lines;
    return { exitCode: ANALYTICS_EXIT.ok, stdout: applyPipes(text, line.stages), stderr: [] };
  } catch (e) {
    if (e instanceof JunosSyntaxError || e instanceof AgentUrlError || e instanceof AgentCredentialsError) {
      return failure(ANALYTICS_EXIT.usage, e.message);
    }
    if (e instanceof AgentUnreachableError) return failure(ANALYTICS_EXIT.unreachable, e.message);
    if (e instanceof AgentRefusedError) {
      const stdout = json ? JSON.stringify(e.envelope, null, 2).split("\n") : [];
      return failure(exitCodeOfReturnCode(e.code), e.message, stdout);
    }
    if (e instanceof AgentResponseError) return failure(ANALYTICS_EXIT.failed, e.message);
    throw e;
  }
}
