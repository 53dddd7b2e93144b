/**
 * The lab state file: what `lab up` made (namespaces, nodes, addresses), so that `lab down`, `lab show` and `lab exec`
 * work from a fresh process. One JSON file per lab prefix under `$FLOWLENS_LAB_STATE_DIR`, default
 * `os.tmpdir()/flowlens-lab/`.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LabError } from "./errors.ts";
import type { NodeRole } from "./plan.ts";
import type { ServiceFiles, StateService } from "./services.ts";
import type { LabTopology } from "./topology.ts";

/** A node as recorded in the state file. */
export interface StateNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly namespace: string;
  /** Router id (routers) or underlay address (hosts). */
  readonly address: string;
}

/** The content of a lab state file (format version 1). */
export interface LabState {
  readonly version: 1;
  readonly prefix: string;
  readonly topology: LabTopology;
  /** Every namespace `up` created or was about to create; `down` deletes those that exist. */
  readonly namespaces: readonly string[];
  readonly nodes: readonly StateNode[];
  /** ISO 8601 time of `up`. */
  readonly createdAt: string;
  /** Notes from `up` (e.g. a hash-policy fallback). */
  readonly warnings: readonly string[];
  /** Router services `up` started (snmpd, hopd), by PID; absent when none were asked for. */
  readonly services?: readonly StateService[];
  /** Their files (configuration, secrets, logs, the agent configuration); absent when no service was asked for. */
  readonly serviceFiles?: ServiceFiles;
}

const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,11}$/;

/**
 * Checks a lab prefix: a lower-case letter, then up to 11 lower-case letters or digits (namespaces are `PREFIX-NODE`).
 * @throws LabError `ERR_LAB_NAME`.
 */
export function validatePrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new LabError(
      "ERR_LAB_NAME",
      `lab name "${prefix}" must be a letter then up to 11 letters or digits (a-z, 0-9)`,
    );
  }
  return prefix;
}

/** Directory holding the state files. */
export function stateDirectory(): string {
  return process.env.FLOWLENS_LAB_STATE_DIR ?? join(tmpdir(), "flowlens-lab");
}

/** Path of the state file of lab `prefix`. */
export function statePath(prefix: string): string {
  return join(stateDirectory(), `${validatePrefix(prefix)}.json`);
}

/** Writes the state file atomically (write then rename). */
export function writeState(state: LabState): void {
  mkdirSync(stateDirectory(), { recursive: true, mode: 0o700 });
  const path = statePath(state.prefix);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Reads the state of lab `prefix`, or `undefined` when there is none. */
export function readState(prefix: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(statePath(prefix), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new LabError("ERR_LAB_NOT_FOUND", `cannot read lab state ${statePath(prefix)}`, { cause: e });
  }
  let state: LabState;
  try {
    state = JSON.parse(text) as LabState;
  } catch (e) {
    throw new LabError("ERR_LAB_NOT_FOUND", `lab state ${statePath(prefix)} is not valid JSON`, { cause: e });
  }
  if (state === null || state.version !== 1 || state.prefix !== prefix || !Array.isArray(state.namespaces)) {
    throw new LabError("ERR_LAB_NOT_FOUND", `lab state ${statePath(prefix)} is not a flowlens lab state file`);
  }
  return state;
}

/**
 * Reads the state of lab `prefix`.
 * @throws LabError `ERR_LAB_NOT_FOUND` when there is none.
 */
export function requireState(prefix: string): LabState {
  const state = readState(prefix);
  if (state === undefined) throw new LabError("ERR_LAB_NOT_FOUND", `no lab named "${prefix}" (run: flowlens lab up)`);
  return state;
}

/** Removes the state file of lab `prefix` (no error when it is already gone). */
export function removeState(prefix: string): void {
  rmSync(statePath(prefix), { force: true });
}
