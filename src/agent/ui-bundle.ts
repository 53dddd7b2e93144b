/**
 * The dashboard's files (docs/dashboard.md): `index.html`, `app.js` and `app.css` (uPlot's CSS included), read from
 * `dist/web/` where `npm run build` (scripts/build.mjs) writes them, or, when that directory is missing (running from
 * the sources), bundled once in memory from `src/web/` with esbuild (a devDependency). Everything is local: the page
 * loads nothing from another origin.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RuntimeError } from "../runtime/errors.ts";

/** The files the dashboard consists of, as served under `/`. */
export const UI_FILES = ["index.html", "app.js", "app.css"] as const;
/** One of {@link UI_FILES}. */
export type UiFile = (typeof UI_FILES)[number];

/** One file ready to serve. */
export interface UiAsset {
  readonly body: Buffer;
  /** `text/html; charset=utf-8`, ... */
  readonly contentType: string;
  /** Strong validator (quoted SHA-256 prefix of the body). */
  readonly etag: string;
}

/** Every dashboard file by name. */
export type UiBundle = ReadonlyMap<UiFile, UiAsset>;

/**
 * The esbuild options of the dashboard bundle, relative to the package root, used here and by scripts/build.mjs (which
 * sets its own `outdir` and `logLevel`). Two entries: the script (with cytoscape and uPlot) and the stylesheet (with
 * uPlot's CSS).
 */
export const WEB_BUILD_OPTIONS = {
  entryPoints: [
    { in: "src/web/main.ts", out: "app" },
    { in: "src/web/app.css", out: "app" },
  ],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  minify: true,
  legalComments: "none",
  logLevel: "silent",
} as const;

/** The dashboard cannot be served: not built and not buildable here. Code `ERR_UI_UNAVAILABLE`. */
export class UiUnavailableError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_UI_UNAVAILABLE", message, options);
  }
}

const CONTENT_TYPES: Record<UiFile, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

function asset(name: UiFile, body: Buffer): UiAsset {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  return { body, contentType: CONTENT_TYPES[name], etag };
}

/** The directory holding flowlens's package.json, found upwards from this module (src/agent/ or the dist/ bundle). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === "flowlens") {
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new UiUnavailableError("cannot find the flowlens package directory");
    dir = up;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Reads the built files from `dir` (normally `dist/web`); undefined when `index.html` is not there, or when `sources`
 * (normally `src/web`) exists and holds a file newer than it (a stale build, as bin/flowlens.js judges dist/).
 */
export async function readBuiltBundle(dir: string, sources?: string): Promise<UiBundle | undefined> {
  const index = join(dir, "index.html");
  if (!existsSync(index)) return undefined;
  if (sources !== undefined && existsSync(sources) && newestMtime(sources) > statSync(index).mtimeMs) return undefined;
  const files = await Promise.all(UI_FILES.map(async (name) => [name, asset(name, await readFile(join(dir, name)))]));
  return new Map(files as [UiFile, UiAsset][]);
}

/** The part of esbuild's API used here (so tests can stand in for a missing esbuild). */
export interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles?: { path: string; contents: Uint8Array }[] }>;
}

/**
 * Bundles `src/web/` under `root` in memory.
 * @throws UiUnavailableError when esbuild cannot be loaded, the sources are missing or the build fails.
 */
export async function buildBundleInMemory(
  root: string,
  importEsbuild: () => Promise<EsbuildLike> = () => import("esbuild") as Promise<EsbuildLike>,
): Promise<UiBundle> {
  const html = join(root, "src/web/index.html");
  if (!existsSync(html)) throw new UiUnavailableError(`the dashboard is not built (no ${root}/dist/web/index.html)`);
  let esbuild: EsbuildLike;
  try {
    esbuild = await importEsbuild();
  } catch (e) {
    throw new UiUnavailableError(
      "the dashboard is not built (dist/web is missing) and esbuild is not installed to build it: run npm run build",
      { cause: e },
    );
  }
  const outdir = join(root, "dist/web");
  try {
    const result = await esbuild.build({ ...WEB_BUILD_OPTIONS, absWorkingDir: root, outdir, write: false });
    const out = new Map<string, Uint8Array>();
    for (const f of result.outputFiles ?? []) out.set(f.path.slice(outdir.length + 1), f.contents);
    const js = out.get("app.js");
    const css = out.get("app.css");
    if (js === undefined || css === undefined) throw new Error("esbuild wrote no app.js or app.css");
    return new Map<UiFile, UiAsset>([
      ["index.html", asset("index.html", await readFile(html))],
      ["app.js", asset("app.js", Buffer.from(js))],
      ["app.css", asset("app.css", Buffer.from(css))],
    ]);
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split("\n", 1)[0];
    throw new UiUnavailableError(`building the dashboard failed: ${first}`, { cause: e });
  }
}
