/**
 * hopd's configuration (`flowlens hopd -c FILE`), loaded through the runtime kit (strict keys, env overrides
 * `FLOWLENS_<SECTION>_<KEY>`, `--check`, `--dump`; docs/hopd.md). Flags (`--host`, `--port`, `--token-file`) override
 * the file.
 *
 * ```yaml
 * log-level: info
 * http: { host: 10.255.1.1, port: 9090 }      # the router's management or router-id address
 * auth: { token-file: /etc/flowlens/hopd.token } # or token-env: VAR; or `auth: none` (explicit: no token)
 * tls: { cert-file: hopd.pem, key-file: hopd.key } # optional HTTPS
 * device: { name: leaf1, serial: ABC123 }      # optional overrides of DevName / DevSerialID
 * counters: { nft-table: flowlens_hopd, max-flows: 1024 }
 * mirror: { source: 10.255.1.1, max-frame: 1464, max-sessions: 64, helper-path: /usr/lib/flowlens/flowlens-probe }
 * ```
 */
import { z } from "zod";
import { httpListenSchema } from "../runtime/http.ts";
import { logLevelSchema } from "../runtime/logger.ts";
import { secretEnvSchema, secretFileSchema } from "../runtime/secret.ts";
import { DEFAULT_NFT_TABLE } from "./flow-counters.ts";

/** Default port of the hopd API. */
export const HOPD_DEFAULT_PORT = 9090;

/** Default largest mirrored frame: a 1500-byte MTU less the 36 bytes of IPv4 + GRE + ERSPAN II. */
export const DEFAULT_MAX_FRAME = 1464;

const tokenSchema = z
  .strictObject({
    "token-file": secretFileSchema().optional(),
    "token-env": secretEnvSchema().optional(),
  })
  .refine((a) => (a["token-file"] === undefined) !== (a["token-env"] === undefined), {
    error: "give exactly one of token-file or token-env",
  });

/** The hopd configuration schema. */
export const hopdConfigSchema = z.strictObject({
  "log-level": logLevelSchema,
  http: httpListenSchema(HOPD_DEFAULT_PORT).default({ host: "127.0.0.1", port: HOPD_DEFAULT_PORT }),
  /** Bearer token for /v1/*; `none` turns authentication off (must be said explicitly). */
  auth: z.union([z.literal("none"), tokenSchema]).optional(),
  tls: z.strictObject({ "cert-file": z.string().min(1), "key-file": secretFileSchema() }).optional(),
  device: z
    .strictObject({ name: z.string().min(1).max(255).optional(), serial: z.string().min(1).max(255).optional() })
    .default({}),
  counters: z
    .strictObject({
      "nft-table": z
        .string()
        .regex(/^[A-Za-z][\w-]{0,63}$/, { error: "expected an nftables table name" })
        .default(DEFAULT_NFT_TABLE),
      "max-flows": z.number().int().min(1).max(100_000).default(1024),
    })
    .default({ "nft-table": DEFAULT_NFT_TABLE, "max-flows": 1024 }),
  mirror: z
    .strictObject({
      /** Source address of the ERSPAN packets; default the listen address. */
      source: z.string().min(7).optional(),
      "max-frame": z.number().int().min(64).max(65_000).default(DEFAULT_MAX_FRAME),
      "max-sessions": z.number().int().min(1).max(1023).default(64),
      /** The probe helper binary (docs/probe-helper.md); default native/build/flowlens-probe. */
      "helper-path": z.string().min(1).optional(),
    })
    .default({ "max-frame": DEFAULT_MAX_FRAME, "max-sessions": 64 }),
});

/** A validated hopd configuration. */
export type HopdConfig = z.output<typeof hopdConfigSchema>;
