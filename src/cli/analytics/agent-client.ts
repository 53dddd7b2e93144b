/**
 * The analytics commands' client of the CA API (compute-agent-api.txt; docs/api.md): `GET resource?query` over HTTP or
 * HTTPS, with the optional bearer token (`Authorization: Bearer`, an extension the agent's `auth:` enables) and the
 * `Originator` header, a time limit per request, and errors sorted for the exit statuses (agent-errors.ts).
 *
 * Where the agent is: `--agent URL`, else `FLOWLENS_AGENT`, else http://127.0.0.1:8080. The token: `--token-file FILE`,
 * else the file `FLOWLENS_AGENT_TOKEN_FILE` names, else the value of `FLOWLENS_AGENT_TOKEN`. A private CA for HTTPS:
 * `--ca-file FILE` or `FLOWLENS_AGENT_CA_FILE` (PEM). This mirrors how the collector commands find the admin API.
 */
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { RETURN_CODES, type ReturnCodeName } from "../../agent/return-codes.ts";
import { readSecretFile } from "../../runtime/secret.ts";
import { httpBaseUrl } from "../collector/admin-client.ts";
import {
  AgentCredentialsError,
  AgentRefusedError,
  AgentResponseError,
  AgentUnreachableError,
  AgentUrlError,
  DEFAULT_AGENT_URL,
} from "./agent-errors.ts";

/** Environment variables the client reads when the options are not given. */
export const AGENT_ENV = {
  url: "FLOWLENS_AGENT",
  tokenFile: "FLOWLENS_AGENT_TOKEN_FILE",
  token: "FLOWLENS_AGENT_TOKEN",
  caFile: "FLOWLENS_AGENT_CA_FILE",
} as const;

/** The command-line options that say how to reach the agent. */
export interface AgentConnectionOptions {
  /** `--agent URL`. */
  agent?: string;
  /** `--token-file FILE`. */
  tokenFile?: string;
  /** `--ca-file FILE`. */
  caFile?: string;
}

/** How to reach one agent, resolved from options and environment. */
export interface AgentConnection {
  /** Base URL without a trailing slash. */
  readonly url: string;
  /** Bearer token, when one is configured. Never printed. */
  readonly token?: string;
  /** PEM certificates trusted for HTTPS, when given. */
  readonly ca?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Resolves the agent URL, token and CA from `options`, then `env`.
 * @throws AgentUrlError for a URL that is not http(s); AgentCredentialsError for an unreadable or empty file.
 */
export function resolveAgentConnection(
  options: AgentConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): AgentConnection {
  const value = options.agent ?? nonEmpty(env[AGENT_ENV.url]) ?? DEFAULT_AGENT_URL;
  const url = httpBaseUrl(value);
  if (url === undefined) throw new AgentUrlError(value);
  const tokenFile = options.tokenFile ?? nonEmpty(env[AGENT_ENV.tokenFile]);
  let token: string | undefined;
  if (tokenFile !== undefined) {
    try {
      token = readSecretFile(tokenFile).reveal();
    } catch (e) {
      throw new AgentCredentialsError(`--token-file: ${(e as Error).message}`);
    }
  } else {
    token = nonEmpty(env[AGENT_ENV.token]);
  }
  const caFile = options.caFile ?? nonEmpty(env[AGENT_ENV.caFile]);
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, "utf8");
    } catch (e) {
      throw new AgentCredentialsError(
        `--ca-file: cannot read ${caFile} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
  return { url, ...(token === undefined ? {} : { token }), ...(ca === undefined ? {} : { ca }) };
}

/** A successful answer: the JSON body and the HTTP status. */
export interface AgentAnswer<T> {
  readonly status: number;
  readonly body: T;
}

function isEnvelope(body: unknown): body is { rc: number; code: ReturnCodeName; message?: unknown } {
  if (typeof body !== "object" || body === null) return false;
  const { rc, code } = body as { rc?: unknown; code?: unknown };
  return typeof code === "string" && code in RETURN_CODES && rc === RETURN_CODES[code as ReturnCodeName];
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      text += chunk;
    });
    response.on("end", () => resolve(text));
    response.on("error", reject);
  });
}

/** A client of one agent's CA API. */
export class AgentClient {
  /**
   * @param connection where and how (see {@link resolveAgentConnection})
   * @param timeoutMs time limit per request, ms (default 10 s)
   */
  constructor(
    readonly connection: AgentConnection,
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * `GET /resource?query`, with the `Originator` header when `originator` is given.
   * @throws AgentUnreachableError, AgentRefusedError (a CA return code), AgentResponseError (not the CA API)
   */
  async get<T>(resource: string, query: URLSearchParams, originator?: string): Promise<AgentAnswer<T>> {
    const q = query.toString();
    const url = new URL(`${this.connection.url}/${resource}${q === "" ? "" : `?${q}`}`);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.connection.token !== undefined) headers.authorization = `Bearer ${this.connection.token}`;
    if (originator !== undefined) headers.originator = originator;
    const { status, text } = await this.send(url, headers);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AgentResponseError(`${this.connection.url} did not answer ${resource} with JSON (HTTP ${status})`);
    }
    if (isEnvelope(body) && body.code !== "EOK") {
      const message = typeof body.message === "string" ? body.message : `HTTP status ${status}`;
      throw new AgentRefusedError(body.code, body.rc, message.split("\n", 1)[0]!, status, body);
    }
    if (status < 200 || status > 299) {
      const error = (body as { error?: { message?: unknown } }).error;
      const why = typeof error?.message === "string" ? `: ${error.message}` : "";
      throw new AgentResponseError(
        `${this.connection.url} answered ${resource} with HTTP ${status}${why} (is it a flowlens agent?)`,
      );
    }
    return { status, body: body as T };
  }

  private send(url: URL, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    const https = url.protocol === "https:";
    const request = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: "GET",
          headers,
          timeout: this.timeoutMs,
          ...(https && this.connection.ca !== undefined ? { ca: this.connection.ca } : {}),
        },
        (response) => {
          readBody(response).then(
            (text) => resolve({ status: response.statusCode ?? 0, text }),
            (e: Error) => reject(new AgentUnreachableError(this.connection.url, e.message, { cause: e })),
          );
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", (e: NodeJS.ErrnoException) =>
        reject(new AgentUnreachableError(this.connection.url, e.code ?? e.message, { cause: e })),
      );
      req.end();
    });
  }
}
