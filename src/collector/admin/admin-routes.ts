/**
 * The collector's admin HTTP API over a {@link CollectorControl}, registered on the daemon's fastify server (the one
 * {@link createHttpServer} makes, which also serves `/metrics`, `/healthz`, `/readyz`, `/version`). JSON in and out;
 * the bodies are the types of admin-api.ts. Routes (docs/collector.md, "Operational commands"):
 *
 * | route | answers |
 * | --- | --- |
 * | `GET /api/v1/interfaces`, `GET /api/v1/interfaces/{name\|all}` | {@link InterfacesResponse} |
 * | `GET /api/v1/interfaces/{name\|all}/inputs` | {@link InputsResponse} |
 * | `GET /api/v1/interfaces/{name\|all}/files` | {@link FilesResponse} |
 * | `GET /api/v1/interfaces/{name\|all}/channels` | {@link ChannelsResponse} |
 * | `POST /api/v1/interfaces/{name\|all}/clear-statistics` | {@link RequestResponse}, one result per interface |
 * | `POST /api/v1/interfaces/{name}/change-destination` ({@link ChangeDestinationBody}) | {@link RequestResponse} |
 * | `POST /api/v1/interfaces/{name}/test-file-transfer` ({@link TestFileTransferBody}) | {@link RequestResponse} |
 *
 * Errors are `{ "error": { "code", "message" } }`: 404 `ERR_UNKNOWN_INTERFACE` for a name that is not configured, 400
 * `ERR_BAD_PARAMETER` for a bad body. A request the collector refuses ("Destination not configured") is not an error:
 * 200 with `refused: true`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { HttpServer } from "../../runtime/http.ts";
import { type CollectorControl, UnknownInterfaceError } from "../contracts.ts";
import type { InterfaceStatus } from "../status.ts";
import {
  ADMIN_API_PREFIX,
  ALL_INTERFACES,
  type ChangeDestinationBody,
  INTERFACE_ACTIONS,
  INTERFACE_RESOURCES,
  type InterfaceAction,
  type InterfaceResource,
  type InterfacesResponse,
  type RequestResponse,
  STATISTICS_CLEARED,
  type TestFileTransferBody,
} from "./admin-api.ts";

/** An admin request that cannot be served; the server's error handler sends `{ error: { code, message } }`. */
export class AdminApiError extends Error {
  /** HTTP status (400, 404). */
  readonly statusCode: number;
  /** Stable code: `ERR_BAD_PARAMETER`, `ERR_UNKNOWN_INTERFACE`. */
  readonly code: string;

  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = "AdminApiError";
    this.statusCode = statusCode;
    this.code = code;
  }
}

const serverSchema = z.enum(["primary", "secondary"]);

const changeDestinationSchema = z.strictObject({
  server: serverSchema,
  immediately: z.boolean().optional(),
  clearFiles: z.boolean().optional(),
  clearLogs: z.boolean().optional(),
});

const testFileTransferSchema = z.strictObject({
  /** Any string: the collector itself answers "Invalid test file name" for one it will not write. */
  file: z.string().max(1024),
  channel: z.union([z.literal(0), z.literal(1)]),
  server: serverSchema,
});

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "body"}: ${i.message}`);
  throw new AdminApiError(400, "ERR_BAD_PARAMETER", issues.join("; "));
}

/** Runs `fn`, turning the control's {@link UnknownInterfaceError} into a 404. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UnknownInterfaceError) throw new AdminApiError(404, e.code, e.message);
    throw e;
  }
}

function selectInterfaces(control: CollectorControl, name: string): InterfaceStatus[] {
  return guarded(() => (name === ALL_INTERFACES ? control.interfaces() : control.interfaces(name)));
}

function getResource(control: CollectorControl, name: string, resource: InterfaceResource): unknown {
  const selected = selectInterfaces(control, name);
  const head = (i: InterfaceStatus) => ({ name: i.name, state: i.state });
  switch (resource) {
    case "inputs":
      return { interfaces: selected.map((i) => ({ ...head(i), inputs: i.inputs })) };
    case "files":
      return { interfaces: selected.map((i) => ({ ...head(i), files: guarded(() => control.files(i.name)) })) };
    case "channels":
      return { interfaces: selected.map((i) => ({ ...head(i), channels: guarded(() => control.channels(i.name)) })) };
  }
}

function singleInterface(control: CollectorControl, name: string, action: string): InterfaceStatus {
  if (name === ALL_INTERFACES) {
    throw new AdminApiError(400, "ERR_BAD_PARAMETER", `${action} takes one interface, not all`);
  }
  return selectInterfaces(control, name)[0]!;
}

function postAction(control: CollectorControl, name: string, action: InterfaceAction, body: unknown): RequestResponse {
  if (action === "clear-statistics") {
    selectInterfaces(control, name); // 404 before clearing anything
    guarded(() => control.clearStatistics(name));
    const cleared = selectInterfaces(control, name);
    return {
      results: cleared.map((i) => ({ interface: i.name, state: i.state, message: STATISTICS_CLEARED, refused: false })),
    };
  }
  const target = singleInterface(control, name, action).name;
  let outcome: { message: string; refused: boolean };
  if (action === "change-destination") {
    const b: ChangeDestinationBody = parseBody(changeDestinationSchema, body);
    const options = { immediately: b.immediately ?? false, clearFiles: b.clearFiles ?? false };
    outcome = guarded(() =>
      control.changeDestination(target, b.server, { ...options, clearLogs: b.clearLogs ?? false }),
    );
  } else {
    const b: TestFileTransferBody = parseBody(testFileTransferSchema, body);
    outcome = guarded(() => control.testFileTransfer(target, b.file, b.channel, b.server));
  }
  const state = selectInterfaces(control, target)[0]!.state;
  return { results: [{ interface: target, state, message: outcome.message, refused: outcome.refused }] };
}

/** Splits an unencoded `cp-6/0/0/files` into the interface name and its trailing resource or action. */
function splitWildcard<S extends string>(rest: string, suffixes: readonly S[]): { name: string; suffix?: S } {
  const slash = rest.lastIndexOf("/");
  const last = rest.slice(slash + 1) as S;
  if (slash > 0 && suffixes.includes(last)) return { name: rest.slice(0, slash), suffix: last };
  return { name: rest };
}

type NameParams = { name: string };

/**
 * Adds the admin routes (under `/api/v1`) to `app`; call before `listen`. Accepts a fastify instance or the
 * {@link HttpServer} of createHttpServer.
 */
export function registerAdminRoutes(target: FastifyInstance | HttpServer, control: CollectorControl): void {
  const app = "app" in target ? target.app : target;
  const base = `${ADMIN_API_PREFIX}/interfaces`;
  app.get(base, async (): Promise<InterfacesResponse> => ({ interfaces: guarded(() => control.interfaces()) }));
  app.get(`${base}/:name`, async (r: FastifyRequest<{ Params: NameParams }>) => ({
    interfaces: selectInterfaces(control, r.params.name),
  }));
  for (const resource of INTERFACE_RESOURCES) {
    app.get(`${base}/:name/${resource}`, async (r: FastifyRequest<{ Params: NameParams }>) =>
      getResource(control, r.params.name, resource),
    );
  }
  for (const action of INTERFACE_ACTIONS) {
    app.post(`${base}/:name/${action}`, async (r: FastifyRequest<{ Params: NameParams }>) =>
      postAction(control, r.params.name, action, r.body),
    );
  }
  // Unencoded names (`/api/v1/interfaces/cp-6/0/0/files`), for curl users.
  app.get(`${base}/*`, async (r: FastifyRequest<{ Params: { "*": string } }>) => {
    const { name, suffix } = splitWildcard(r.params["*"], INTERFACE_RESOURCES);
    return suffix === undefined ? { interfaces: selectInterfaces(control, name) } : getResource(control, name, suffix);
  });
  app.post(`${base}/*`, async (r: FastifyRequest<{ Params: { "*": string } }>, reply: FastifyReply) => {
    const { name, suffix } = splitWildcard(r.params["*"], INTERFACE_ACTIONS);
    if (suffix === undefined) {
      return reply.status(404).send({ error: { code: "ERR_NOT_FOUND", message: `no route for POST ${r.url}` } });
    }
    return postAction(control, name, suffix, r.body);
  });
}
