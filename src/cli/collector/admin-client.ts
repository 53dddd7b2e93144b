/**
 * The operational commands' client of the collector's admin API (admin-api.ts): JSON over HTTP with `fetch`, a time
 * limit per request, and errors sorted the way the exit codes need them: the collector could not be reached
 * ({@link AdminUnreachableError}, exit 3) or it answered with an error ({@link AdminResponseError}, exit 1).
 */

/** Default admin address (the collector's `admin:` default, docs/collector.md). */
export const DEFAULT_ADMIN_URL = "http://127.0.0.1:8082";

/** Environment variable naming the admin address when `--admin` is not given. */
export const ADMIN_ENV = "FLOWLENS_ADMIN";

/** Nothing answered at the admin address (refused, unresolvable, timed out). Code `ERR_ADMIN_UNREACHABLE`. */
export class AdminUnreachableError extends Error {
  readonly code = "ERR_ADMIN_UNREACHABLE";
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the collector at ${url} (is it running?)`, options);
    this.name = "AdminUnreachableError";
  }
}

/** The admin API answered with an error status; `code` is the server's (`ERR_UNKNOWN_INTERFACE`...). */
export class AdminResponseError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AdminResponseError";
  }
}

/** An `--admin` / `FLOWLENS_ADMIN` value that is not an http(s) URL. Code `ERR_ADMIN_URL` (a usage error). */
export class AdminUrlError extends Error {
  readonly code = "ERR_ADMIN_URL";
  constructor(value: string) {
    super(`--admin: expected an http:// URL such as ${DEFAULT_ADMIN_URL}, got '${value}'`);
    this.name = "AdminUrlError";
  }
}

/**
 * The admin base URL: `option`, else `env.FLOWLENS_ADMIN`, else {@link DEFAULT_ADMIN_URL}; without a trailing slash.
 * @throws AdminUrlError when it is not an http(s) URL.
 */
export function resolveAdminUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = option ?? (env[ADMIN_ENV] !== undefined && env[ADMIN_ENV] !== "" ? env[ADMIN_ENV] : DEFAULT_ADMIN_URL);
  const url = httpBaseUrl(value);
  if (url === undefined) throw new AdminUrlError(value);
  return url;
}

/**
 * `value` without its trailing slashes when it is an http:// or https:// URL, else undefined; how `--admin` and the
 * analytics commands' `--agent` are checked.
 */
export function httpBaseUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return value.replace(/\/+$/, "");
}

/** A client of one collector's admin API. */
export class AdminClient {
  /**
   * @param baseUrl e.g. `http://127.0.0.1:8082` (see {@link resolveAdminUrl})
   * @param timeoutMs time limit per request, ms (default 10 s)
   */
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** `GET path`, the JSON body. @throws AdminUnreachableError, AdminResponseError */
  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /** `POST path` with a JSON body (none when `body` is undefined). @throws AdminUnreachableError, AdminResponseError */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: body === undefined ? { accept: "application/json" } : { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new AdminUnreachableError(this.baseUrl, { cause: e });
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      throw new AdminResponseError(response.status, "ERR_ADMIN_RESPONSE", `${this.baseUrl} did not answer with JSON`);
    }
    if (response.ok) return json as T;
    const error = (json as { error?: { code?: unknown; message?: unknown } }).error;
    const code = typeof error?.code === "string" ? error.code : "ERR_ADMIN_RESPONSE";
    const message = typeof error?.message === "string" ? error.message : `HTTP status ${response.status}`;
    throw new AdminResponseError(response.status, code, message);
  }
}
