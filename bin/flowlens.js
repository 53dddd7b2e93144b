#!/usr/bin/env node
// Entry point of the `flowlens` command: loads the TypeScript sources through tsx's ESM hooks.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
