/**
 * Read-only introspection of zod (v4) schemas for the configuration loader: which keys an object level knows, the
 * schema of a child key, and whether every object in a schema rejects unknown keys. Works on the `_zod.def` structure
 * that zod documents for library authors; wrappers (optional, default, nullable, readonly, catch, pipe/codec input,
 * lazy) are looked through.
 */
import type { z } from "zod";

interface Def {
  readonly type: string;
  readonly [field: string]: unknown;
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema under wrappers: `optional`, `default`, `nullable`..., the input side of a pipe or codec, a lazy's target. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let depth = 0; depth < 64; depth++) {
    const def = defOf(s);
    if (WRAPPERS.has(def.type)) s = def.innerType as z.ZodType;
    else if (def.type === "pipe") s = def.in as z.ZodType;
    else if (def.type === "lazy") s = (def.getter as () => z.ZodType)();
    else return s;
  }
  return s;
}

/** The alternatives a schema stands for after unwrapping: the options of a union, both sides of an intersection. */
function alternatives(schema: z.ZodType): z.ZodType[] {
  const s = unwrapSchema(schema);
  const def = defOf(s);
  if (def.type === "union") return (def.options as z.ZodType[]).flatMap(alternatives);
  if (def.type === "intersection")
    return [...alternatives(def.left as z.ZodType), ...alternatives(def.right as z.ZodType)];
  return [s];
}

/** The keys a schema level declares (object shape keys), over every alternative; records and arrays declare none. */
export function declaredKeys(schema: z.ZodType): string[] {
  const keys = new Set<string>();
  for (const alt of alternatives(schema)) {
    const def = defOf(alt);
    if (def.type === "object") for (const k of Object.keys(def.shape as object)) keys.add(k);
  }
  return [...keys];
}

/** The schemas a child key may have under `schema` (several for a union), empty when the key is not allowed. */
export function childSchemas(schema: z.ZodType, key: string): z.ZodType[] {
  const out: z.ZodType[] = [];
  for (const alt of alternatives(schema)) {
    const def = defOf(alt);
    if (def.type === "object") {
      const shape = def.shape as Record<string, z.ZodType>;
      if (Object.hasOwn(shape, key)) out.push(shape[key]!);
      else if (def.catchall !== undefined && defOf(def.catchall as z.ZodType).type !== "never") {
        out.push(def.catchall as z.ZodType);
      }
    } else if (def.type === "record") out.push(def.valueType as z.ZodType);
    else if (def.type === "array" && /^\d+$/.test(key)) out.push(def.element as z.ZodType);
    else if (def.type === "tuple" && /^\d+$/.test(key)) {
      const item = (def.items as z.ZodType[])[Number(key)];
      if (item !== undefined) out.push(item);
    }
  }
  return out;
}

/**
 * The dotted paths of object schemas inside `schema` that accept unknown keys (made with `z.object` or
 * `z.looseObject` rather than `z.strictObject`); empty when every object is strict. Record and array members are
 * written `*`.
 */
export function nonStrictObjects(schema: z.ZodType): string[] {
  const found: string[] = [];
  const seen = new Set<z.ZodType>();
  const visit = (s: z.ZodType, path: string): void => {
    for (const alt of alternatives(s)) {
      if (seen.has(alt)) continue;
      seen.add(alt);
      const def = defOf(alt);
      if (def.type === "object") {
        const catchall = def.catchall as z.ZodType | undefined;
        if (catchall === undefined || defOf(catchall).type !== "never") found.push(path || "(root)");
        for (const [k, child] of Object.entries(def.shape as Record<string, z.ZodType>)) visit(child, join(path, k));
      } else if (def.type === "record") visit(def.valueType as z.ZodType, join(path, "*"));
      else if (def.type === "array") visit(def.element as z.ZodType, join(path, "*"));
      else if (def.type === "tuple") for (const item of def.items as z.ZodType[]) visit(item, join(path, "*"));
    }
  };
  visit(schema, "");
  return found;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}
