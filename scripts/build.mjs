#!/usr/bin/env node
// Bundles the `flowlens` command into dist/ with esbuild (a dependency of tsx), one chunk per lazily loaded module, so
// the command starts without compiling TypeScript on every run. bin/flowlens.js uses dist/ only while it is newer than
// every file under src/ (otherwise it runs the sources through tsx), so a stale build is never used.
// Run by `npm install` (the `prepare` script) and by `npm run build`.
import { copyFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { tsImport } from "tsx/esm/api";

const root = fileURLToPath(new URL("..", import.meta.url));
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The collector's render worker is its own entry point: worker threads load it by file (render-pool.ts).
  entryPoints: { flowlens: "src/cli/main.ts", "render-worker": "src/collector/receive/render-worker.ts" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  outdir: "dist",
  logLevel: "warning",
});
// The dashboard (src/web, docs/dashboard.md) into dist/web, with the options the agent's in-memory build uses
// (WEB_BUILD_OPTIONS of src/agent/ui-bundle.ts, loaded through tsx, a dependency). index.html is copied last, so its
// time stamp marks the build as newer than src/web.
const { WEB_BUILD_OPTIONS } = await tsImport("../src/agent/ui-bundle.ts", import.meta.url);
await build({ ...WEB_BUILD_OPTIONS, absWorkingDir: root, outdir: "dist/web", logLevel: "warning" });
copyFileSync(new URL("../src/web/index.html", import.meta.url), new URL("../dist/web/index.html", import.meta.url));
