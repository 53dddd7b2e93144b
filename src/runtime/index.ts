/**
 * The daemon kit (`src/runtime/`): configuration (YAML, env overrides, zod validation, `--check`/`--dump`), durations
 * and sizes, secrets, logging with rate-limited repeats, Prometheus metrics, the HTTP base server, the process
 * lifecycle, and capture-file reading. Daemons import from here.
 */
export * from "./capture-file.ts";
export * from "./config.ts";
export * from "./duration.ts";
export * from "./env-overrides.ts";
export * from "./errors.ts";
export * from "./http.ts";
export * from "./lifecycle.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./rate-limited-log.ts";
export * from "./reloadable-config.ts";
export * from "./secret.ts";
export * from "./size.ts";
export * from "./version-info.ts";
