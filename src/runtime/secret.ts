/**
 * Secrets in configuration (passwords, tokens). The configuration never holds a secret inline: a field names a file
 * (`password-file: /etc/flowlens/ftp.password`) or an environment variable (`password-env: FTP_PASSWORD`), and the value
 * is read once, at load time, into a {@link Secret} that prints as `[redacted]` everywhere (logs, JSON, `util.inspect`,
 * string conversion). `--dump` shows where a secret comes from (the file path or variable name), never its value.
 */
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { z } from "zod";

/** What a redacted secret prints as. */
export const REDACTED = "[redacted]";

/** Where a secret was read from: a file path or an environment variable name. */
export type SecretSource =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "env"; readonly name: string };

/** A secret value read at configuration load time. Only {@link Secret.reveal} gives the value. */
export class Secret {
  readonly #value: string;
  /** Where the value came from; safe to print. */
  readonly source: SecretSource;

  constructor(value: string, source: SecretSource) {
    this.#value = value;
    this.source = source;
  }

  /** The secret value itself, for the one call that needs it (a login). Never log the result. */
  reveal(): string {
    return this.#value;
  }

  /** Always {@link REDACTED}. */
  toString(): string {
    return REDACTED;
  }

  /** Always {@link REDACTED}, so `JSON.stringify` and pino never print the value. */
  toJSON(): string {
    return REDACTED;
  }

  /** Always {@link REDACTED}, for `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return REDACTED;
  }
}

/**
 * Reads a secret file: the whole content less one trailing line break (`\n` or `\r\n`).
 * @throws Error naming the path when the file cannot be read or holds nothing.
 */
export function readSecretFile(path: string): Secret {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new Error(`cannot read secret file ${path} (${code})`);
  }
  const value = text.replace(/\r?\n$/, "");
  if (value === "") throw new Error(`secret file ${path} is empty`);
  return new Secret(value, { kind: "file", path });
}

const secretOutput = z.custom<Secret>((v) => v instanceof Secret, { error: "expected a secret" });

/**
 * A zod codec for a field that names a secret file (by convention the key ends in `-file`): decodes the path to a
 * {@link Secret} holding the file's content (read synchronously, during validation), encodes back to the path.
 */
export function secretFileSchema(): z.ZodCodec<z.ZodString, typeof secretOutput> {
  return z.codec(z.string({ error: "expected the path of a secret file" }).min(1), secretOutput, {
    decode: (path, ctx) => {
      try {
        return readSecretFile(path);
      } catch (e) {
        ctx.issues.push({ code: "custom", message: (e as Error).message, input: path });
        return z.NEVER;
      }
    },
    encode: (secret) => (secret.source.kind === "file" ? secret.source.path : REDACTED),
  });
}

/**
 * A zod codec for a field that names an environment variable holding a secret (by convention the key ends in `-env`):
 * decodes the variable name to a {@link Secret} with the variable's value from `env` (default `process.env`), encodes
 * back to the name. An unset or empty variable is an error.
 */
export function secretEnvSchema(
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.ZodCodec<z.ZodString, typeof secretOutput> {
  return z.codec(z.string({ error: "expected the name of an environment variable" }).min(1), secretOutput, {
    decode: (name, ctx) => {
      const value = env[name];
      if (value === undefined || value === "") {
        ctx.issues.push({ code: "custom", message: `environment variable ${name} is not set`, input: name });
        return z.NEVER;
      }
      return new Secret(value, { kind: "env", name });
    },
    encode: (secret) => (secret.source.kind === "env" ? secret.source.name : REDACTED),
  });
}
