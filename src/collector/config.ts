/**
 * The collector's configuration: one YAML document mirroring Junos `[edit services flow-collector]` (flow-collector.txt),
 * with the statement names where they fit. Validated by {@link collectorConfigSchema}; loaded through the runtime kit
 * (`loadConfig`), so env overrides, `--check` and `--dump` work as for every daemon (docs/configuration.md).
 *
 * ```yaml
 * interfaces:
 *   cp-6/0/0:
 *     listen: ["127.0.0.1:2055", "[::1]:2055"]
 *     analyzer-address: 10.10.10.1
 *     analyzer-id: server1
 *     inputs:
 *       mo-7/1/0.0: { exporter: 192.0.2.1, if-alias: so_3_0_0_0, channels: [0] }
 *     export-channels:
 *       "0": { primary: { url: "ftp://flow@127.0.0.1:2121/in/", password-file: /etc/flowlens/ftp.pw } }
 * transfer-log-archive:
 *   archive-sites: [{ url: "file:///var/lib/flowlens/archive/" }]
 * ```
 */
import { isIP } from "node:net";
import { z } from "zod";
import { durationSchema } from "../runtime/duration.ts";
import { httpListenSchema } from "../runtime/http.ts";
import { logLevelSchema } from "../runtime/logger.ts";
import { secretEnvSchema, secretFileSchema } from "../runtime/secret.ts";
import { sizeSchema } from "../runtime/size.ts";
import { collectorScaleOutSchema } from "../scale/scale-config.ts";
import { DEFAULT_COLLECTOR_FILE_NAME_FORMAT } from "../wire/collector-file-name.ts";

/** `host:port`, `[v6]:port` or `:port` (all IPv4 addresses); port 0 picks a free port (tests). */
export const listenAddressSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]*):\d{1,5}$/, {
    error: "expected host:port or [ipv6]:port",
    abort: true,
  })
  .refine((s) => Number(s.slice(s.lastIndexOf(":") + 1)) <= 65535, { error: "port must be 0 to 65535" });

const ipv4Schema = z.string().refine((s) => isIP(s) === 4, { error: "expected an IPv4 address" });
const ipSchema = z.string().refine((s) => isIP(s) !== 0, { error: "expected an IPv4 or IPv6 address" });
const nameText = z.string().regex(/^[\x21-\x7b\x7d\x7e]+$/, { error: "printable characters without spaces or |" });

/**
 * A transfer destination: `ftp://user@host:port/path/` (password from `password-file` or `password-env`, never written
 * in the URL, never logged) or `file:///dir/` (a local archive directory).
 */
export const destinationSchema = z
  .strictObject({
    url: z
      .string()
      .refine((s) => /^(ftp:\/\/[^/\s]+\/.*|file:\/\/\/.+)$/.test(s) && !/^ftp:\/\/[^/@]*:[^/@]*@/.test(s), {
        error: "expected ftp://user@host[:port]/path/ or file:///dir/ (no password in the URL: use password-file)",
      }),
    "password-file": secretFileSchema().optional(),
    "password-env": secretEnvSchema().optional(),
  })
  .refine((d) => !(d["password-file"] && d["password-env"]), { error: "give password-file or password-env, not both" });

/** One export channel (0 or 1): primary and optional secondary server, retries before failing over. */
export const exportChannelSchema = z.strictObject({
  primary: destinationSchema,
  secondary: destinationSchema.optional(),
  /** Attempts on the current server before failing over to the other (default 3). */
  "retry-count": z.number().int().min(0).max(100).default(3),
  /** Wait between attempts (default 30s). */
  "retry-delay": durationSchema({ max: "1h" }).default(30_000),
});

/** One input interface: an exporter (optionally one engine of it) whose records this collector interface files. */
export const inputSchema = z.strictObject({
  /** Exporter source address; `any` takes every exporter not matched by another input. */
  exporter: z.union([ipSchema, z.literal("any")]),
  "engine-type": z.number().int().min(0).max(255).optional(),
  "engine-id": z.number().int().min(0).max(255).optional(),
  /** ifAlias written into records and file names (default: from the input name, `so-3/0/0.0` -> `so_3_0_0_0`). */
  "if-alias": nameText.optional(),
  /** Mask byte order of this exporter's v8 schemes 5, 13 and 14 (docs/netflow-v8.md). */
  "mask-order": z.enum(["default", "caida"]).default("default"),
  /** Export channels whose files get this input's records (default channel 0). */
  channels: z
    .array(z.union([z.literal(0), z.literal(1)]))
    .min(1)
    .max(2)
    .default([0]),
});

/** How record files are named, cut into compressed blocks and rotated. */
export const fileSpecificationSchema = z.strictObject({
  /** `%`-field file name format (docs/formats.md); the default gives the spec's `cFlowd-<id>-<ch>-<date>_<time>-<ifAlias>.bcp.bi.gz`. */
  "name-format": z.string().min(1).default(DEFAULT_COLLECTOR_FILE_NAME_FORMAT),
  /** Records after which a file is closed (Junos `transfer record-level`). */
  "maximum-records": z.number().int().min(1).max(100_000_000).default(1_000_000),
  /** Age after which a file is closed even if not full (Junos `transfer timeout`). */
  "maximum-age": durationSchema({ min: "1s", max: "1d" }).default(300_000),
  /** gzip level of the blocks, 1 (fastest) to 9 (smallest); 6 is gzip's own default. */
  "compression-level": z.number().int().min(1).max(9).default(6),
  /** Partly filled blocks are compressed and written at least this often, so a crash loses at most this much. */
  "flush-interval": durationSchema({ min: "100ms", max: "1h" }).default(5_000),
  /** Uncompressed bytes per compressed block (one gzip member). */
  "block-size": sizeSchema({ min: "4KiB", max: "16MiB" }).default(131_072),
});

/** One collector interface (`cp-6/0/0`): listeners, analyzer identity, inputs, files and export channels. */
export const collectorInterfaceSchema = z
  .strictObject({
    /** UDP listen addresses, IPv4 and IPv6. */
    listen: z.array(listenAddressSchema).min(1),
    /** Socket receive buffer requested from the kernel (the granted size is reported). */
    "receive-buffer": sizeSchema({ min: "64KiB", max: "1GiB" }).default(4 * 1024 * 1024),
    /** Memory for blocks waiting to be compressed and written; beyond it datagrams are dropped as "No memory". */
    "memory-limit": sizeSchema({ min: "1MiB", max: "64GiB" }).default(512 * 1024 * 1024),
    /**
     * Render worker threads decoding and rendering this interface's records (docs/collector.md, "Threads"); 0 keeps
     * everything on the main thread. Default: one per core beyond the first, at most 2.
     */
    workers: z.number().int().min(0).max(16).optional(),
    "analyzer-address": ipv4Schema,
    "analyzer-id": nameText,
    inputs: z.record(nameText, inputSchema).refine((m) => Object.keys(m).length > 0, { error: "at least one input" }),
    "file-specification": fileSpecificationSchema.prefault({}),
    "export-channels": z
      .strictObject({ "0": exportChannelSchema.optional(), "1": exportChannelSchema.optional() })
      .prefault({}),
  })
  .superRefine((ifc, ctx) => {
    for (const [name, input] of Object.entries(ifc.inputs)) {
      for (const ch of input.channels) {
        if (ifc["export-channels"][String(ch) as "0" | "1"] === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["inputs", name, "channels"],
            message: `export channel ${ch} is not configured`,
          });
        }
      }
    }
  });

/** transfer-log-archive: where transfer logs live and where finished ones go. */
export const transferLogArchiveSchema = z.strictObject({
  /** Directory of the transfer logs (`failed/` below it holds logs no site accepted). */
  directory: z.string().min(1).default("var/log/flowc"),
  "filename-prefix": nameText.default("flowc"),
  /** Age after which the `.tmp` log becomes a `.log` and is compressed and shipped (default 120 minutes). */
  "maximum-age": durationSchema({ min: "1s", max: "7d" }).default(7_200_000),
  /** Up to five sites, tried in order until one accepts a log. */
  "archive-sites": z.array(destinationSchema).max(5).default([]),
  /** How often failed logs are sent again (default 30 minutes). */
  "retry-interval": durationSchema({ min: "1s", max: "1d" }).default(1_800_000),
});

/** The whole collector configuration. */
export const collectorConfigSchema = z.strictObject({
  "log-level": logLevelSchema,
  /** Name of this collector host in transfer-log file names (default: the machine's hostname). */
  hostname: nameText.optional(),
  /** Directory for record files: `<spool>/<interface>/` holds active (`.tmp`) and closed files waiting for transfer. */
  "spool-directory": z.string().min(1).default("var/flowc"),
  /** Admin HTTP API (operational commands, /metrics, /healthz); loopback by default. */
  admin: httpListenSchema(8082).prefault({}),
  interfaces: z.record(
    z.string().regex(/^[\w./:-]+$/, { error: "interface names like cp-6/0/0" }),
    collectorInterfaceSchema,
  ),
  "transfer-log-archive": transferLogArchiveSchema.prefault({}),
  /**
   * Scale-out on NATS JetStream (docs/scale-out.md): `role: receiver` (UDP → stream), `writer` (stream → files → FTP) or
   * `all` (the single process). Absent: the single process, NATS not used.
   */
  "scale-out": collectorScaleOutSchema.optional(),
});

/** A validated collector configuration. */
export type CollectorConfig = z.output<typeof collectorConfigSchema>;
/** One validated collector interface. */
export type CollectorInterfaceConfig = z.output<typeof collectorInterfaceSchema>;
/** One validated input. */
export type CollectorInputConfig = z.output<typeof inputSchema>;
/** One validated export channel. */
export type ExportChannelConfig = z.output<typeof exportChannelSchema>;
/** One validated destination. */
export type DestinationConfig = z.output<typeof destinationSchema>;
/** The validated file specification. */
export type FileSpecificationConfig = z.output<typeof fileSpecificationSchema>;
/** The validated transfer-log-archive section. */
export type TransferLogArchiveConfig = z.output<typeof transferLogArchiveSchema>;
