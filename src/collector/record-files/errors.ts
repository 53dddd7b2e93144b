/**
 * Typed errors of the record files (flow-collector.txt, "the flow records are compressed into files"). None of them
 * escapes the record-file writer at run time: disk failures are counted (`diskErrors`) and logged, rate-limited, under
 * the error's `code`; the records involved are dropped and counted. They are thrown only to a caller that misuses the
 * API (an unknown input, an invalid memory limit).
 */
export class RecordFileError extends Error {
  /** Stable machine-readable code, e.g. `ERR_RECORD_FILE_IO`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The file operation that met a disk error. */
export type RecordFileOperation =
  | "mkdir"
  | "open"
  | "compress"
  | "write"
  | "truncate"
  | "sync"
  | "close"
  | "rename"
  | "unlink";

/**
 * A file operation on a record file failed (full disk `ENOSPC`, permission `EACCES`, `EIO`...). Code
 * `ERR_RECORD_FILE_IO`; `errno` is the system error code (`ENOSPC`), `operation` what was being done, `path` the file.
 */
export class RecordFileIoError extends RecordFileError {
  readonly errno: string;
  readonly operation: RecordFileOperation;
  readonly path: string;

  constructor(operation: RecordFileOperation, path: string, cause: unknown) {
    const errno = systemErrorCode(cause) ?? "EUNKNOWN";
    super("ERR_RECORD_FILE_IO", `record file ${operation} failed (${errno}): ${path}`, { cause });
    this.errno = errno;
    this.operation = operation;
    this.path = path;
  }
}

/** `sink(input)` named an input that the collector interface does not configure. Code `ERR_RECORD_FILE_INPUT`. */
export class UnknownRecordInputError extends RecordFileError {
  constructor(interfaceName: string, input: string) {
    super("ERR_RECORD_FILE_INPUT", `flow collector interface ${interfaceName} has no input ${input}`);
  }
}

/** A memory limit or reservation that is not a non-negative safe integer. Code `ERR_MEMORY_BUDGET`. */
export class MemoryBudgetError extends RecordFileError {
  constructor(message: string) {
    super("ERR_MEMORY_BUDGET", message);
  }
}

/** Runs `run`; a failure is rethrown as a {@link RecordFileIoError} of `operation` on `path` (kept if it is one). */
export async function withIoError<T>(operation: RecordFileOperation, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw e instanceof RecordFileIoError ? e : new RecordFileIoError(operation, path, e);
  }
}

/** The `code` of a Node system error (`ENOSPC`, `EACCES`...), if `e` is one. */
export function systemErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
