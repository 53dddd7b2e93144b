#!/usr/bin/env node
// Entry point of the `flowlens` command. Runs the esbuild bundle in dist/ (made by `npm install` / `npm run build`) when it
// is newer than every source file, else the TypeScript sources through tsx's loader (FLOWLENS_FROM_SOURCE=1 forces that).
import { readdirSync, statSync } from "node:fs";

const dist = new URL("../dist/flowlens.js", import.meta.url);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? "/" : ""), dir);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function distIsFresh() {
  if (process.env.FLOWLENS_FROM_SOURCE === "1") return false;
  try {
    return statSync(dist).mtimeMs >= newestMtime(new URL("../src/", import.meta.url));
  } catch {
    return false;
  }
}

if (distIsFresh()) {
  await import(dist.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
