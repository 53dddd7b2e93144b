/**
 * A fake {@link HopSystem} for hopd's unit tests: files and directories from a map (fixtures), programs answered by a
 * handler, every call recorded, and a settable clock.
 */
import { readFileSync } from "node:fs";
import type { CommandResult, HopSystem } from "../../src/hopd/system.ts";

/** A fixture file's text. */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

/** Answers one program call; undefined means "not found" (status null). */
export type CommandHandler = (program: string, args: readonly string[], input?: string) => CommandResult | undefined;

/** A recorded call. */
export interface RecordedCall {
  program: string;
  args: readonly string[];
  input?: string;
}

/** Builds a successful result. */
export const ok = (stdout = ""): CommandResult => ({ status: 0, stdout, stderr: "" });
/** Builds a failed result. */
export const failed = (stderr: string, status = 1): CommandResult => ({ status, stdout: "", stderr });

/** The fake system. */
export class FakeSystem implements HopSystem {
  readonly files = new Map<string, string>();
  readonly calls: RecordedCall[] = [];
  clock = 1_763_800_000_000;
  host = "router-host";

  constructor(public handler: CommandHandler = () => undefined) {}

  /** Adds `/sys/class/net/<name>/statistics/*` files from `stats` (missing ones read as absent). */
  addInterface(name: string, stats: Record<string, number>): void {
    for (const [k, v] of Object.entries(stats)) this.files.set(`/sys/class/net/${name}/statistics/${k}`, `${v}\n`);
    this.files.set(`/sys/class/net/${name}/`, "");
  }

  async readFile(path: string): Promise<string | null> {
    return this.files.get(path) ?? null;
  }

  async listDir(path: string): Promise<string[]> {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    const names = new Set<string>();
    for (const key of this.files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const name = key.slice(prefix.length).split("/", 1)[0]!;
      if (name !== "") names.add(name);
    }
    return [...names].sort();
  }

  async run(program: string, args: readonly string[], input?: string): Promise<CommandResult> {
    this.calls.push({ program, args: [...args], ...(input === undefined ? {} : { input }) });
    return this.handler(program, args, input) ?? { status: null, stdout: "", stderr: `spawn ${program} ENOENT` };
  }

  hostname(): string {
    return this.host;
  }

  now(): number {
    return this.clock;
  }
}
