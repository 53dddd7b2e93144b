/**
 * The collector's admin HTTP API: its paths and the JSON bodies it answers, shared by the server
 * ({@link registerAdminRoutes} in admin-routes.ts) and the operational commands (`flowlens show|clear|request services
 * flow-collector ...`). Documented in docs/collector.md, "Operational commands".
 *
 * Interface names hold slashes (`cp-6/0/0`): in a path they are percent-encoded (`cp-6%2F0%2F0`, what
 * {@link interfacePath} builds); the server also accepts them unencoded. `all` stands for every interface where a
 * route takes several.
 */
import type {
  ExportChannelStatus,
  FileStatus,
  InputStatus,
  InterfaceState,
  InterfaceStatus,
  ServerRole,
} from "../status.ts";

/** Prefix of every admin route. */
export const ADMIN_API_PREFIX = "/api/v1";

/** The name that stands for every collector interface (`... interface all`). */
export const ALL_INTERFACES = "all";

/** The line `clear services flow-collector statistics` prints per interface (Junos). */
export const STATISTICS_CLEARED = "Statistics cleared successfully";

/** `GET /api/v1/interfaces`, `GET /api/v1/interfaces/{name|all}`. */
export interface InterfacesResponse {
  interfaces: InterfaceStatus[];
}

/** One interface with one of its sub-resources. */
export type InterfaceWith<K extends string, V> = { name: string; state: InterfaceState } & Record<K, V>;

/** `GET /api/v1/interfaces/{name|all}/inputs`. */
export interface InputsResponse {
  interfaces: InterfaceWith<"inputs", InputStatus[]>[];
}

/** `GET /api/v1/interfaces/{name|all}/files`. */
export interface FilesResponse {
  interfaces: InterfaceWith<"files", FileStatus[]>[];
}

/** `GET /api/v1/interfaces/{name|all}/channels`. */
export interface ChannelsResponse {
  interfaces: InterfaceWith<"channels", ExportChannelStatus[]>[];
}

/** The answer of a request on one interface, printed as the spec prints it. */
export interface RequestResult {
  /** Collector interface name. */
  interface: string;
  /** Its state after the request ("Interface state: ..."). */
  state: InterfaceState;
  /** The spec's message ("Destination change successful", "Destination not configured", ...). */
  message: string;
  /** True when the collector refused the request ("Destination change not needed", "Destination not configured"). */
  refused: boolean;
}

/**
 * Body of every `POST` answer (status 200 whether or not the request was refused: see `refused`):
 * `clear-statistics` has one result per interface cleared, the other requests one.
 */
export interface RequestResponse {
  results: RequestResult[];
}

/** Body of `POST /api/v1/interfaces/{name}/change-destination`. */
export interface ChangeDestinationBody {
  server: ServerRole;
  /** Switch at once (default false: gracefully). */
  immediately?: boolean;
  clearFiles?: boolean;
  clearLogs?: boolean;
}

/** Body of `POST /api/v1/interfaces/{name}/test-file-transfer`. */
export interface TestFileTransferBody {
  /** Name of the test file to transfer. */
  file: string;
  channel: 0 | 1;
  server: ServerRole;
}

/** The sub-resources a `GET` can name after the interface. */
export const INTERFACE_RESOURCES = ["inputs", "files", "channels"] as const;
/** One of {@link INTERFACE_RESOURCES}. */
export type InterfaceResource = (typeof INTERFACE_RESOURCES)[number];

/** The actions a `POST` can name after the interface. */
export const INTERFACE_ACTIONS = ["clear-statistics", "change-destination", "test-file-transfer"] as const;
/** One of {@link INTERFACE_ACTIONS}. */
export type InterfaceAction = (typeof INTERFACE_ACTIONS)[number];

/**
 * The path of an interface (or of `all`) with an optional resource or action: `interfacePath("cp-6/0/0", "files")`
 * is `/api/v1/interfaces/cp-6%2F0%2F0/files`.
 */
export function interfacePath(name: string, suffix?: InterfaceResource | InterfaceAction): string {
  const base = `${ADMIN_API_PREFIX}/interfaces/${encodeURIComponent(name)}`;
  return suffix === undefined ? base : `${base}/${suffix}`;
}
