/**
 * The SNMP client behind the provider: GET of scalars and walks of table columns, v2c (community) or v3 (USM with
 * authentication and privacy), through npm `net-snmp`. {@link SnmpClient} is the seam tests replace with a fake.
 */
import snmp from "net-snmp";
import { SnmpTelemetryError } from "./errors.ts";
import type { SnmpValue, SnmpVarbind } from "./values.ts";

/** Reads a device's objects. Implementations never throw synchronously. */
export interface SnmpClient {
  /** Values of `oids` in order; `undefined` where the device has no such object or instance. */
  get(oids: readonly string[]): Promise<SnmpValue[]>;
  /** Every varbind under `oid` (a table column), in the device's order; empty when there is none. */
  walk(oid: string): Promise<SnmpVarbind[]>;
  close(): void;
}

/** SNMPv3 USM credentials (secrets already read from their files). */
export interface SnmpV3User {
  name: string;
  /** Authentication: protocol and passphrase (at least 8 characters); absent for noAuthNoPriv. */
  auth?: { protocol: "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512"; key: string };
  /** Privacy: protocol and passphrase; needs `auth`. */
  priv?: { protocol: "des" | "aes" | "aes256b" | "aes256r"; key: string };
}

/** How to reach one device. */
export interface SnmpTarget {
  /** IPv4 address the agent listens on. */
  host: string;
  /** UDP port, default 161. */
  port?: number;
  /** v2c with a community, or v3 with a USM user. */
  credentials: { version: "2c"; community: string } | { version: "3"; user: SnmpV3User };
  /** Per-request timeout, ms (net-snmp retransmits within the provider's own deadline). */
  requestTimeoutMs?: number;
  /** Retransmissions after the first try (default 1). */
  retries?: number;
}

/** Makes the client of one device (injected in tests). */
export type SnmpClientFactory = (target: SnmpTarget) => SnmpClient;

function v3User(user: SnmpV3User): snmp.User {
  const level =
    user.auth === undefined
      ? snmp.SecurityLevel.noAuthNoPriv
      : user.priv === undefined
        ? snmp.SecurityLevel.authNoPriv
        : snmp.SecurityLevel.authPriv;
  const out: snmp.User = { name: user.name, level };
  if (user.auth !== undefined) {
    out.authProtocol = snmp.AuthProtocols[user.auth.protocol];
    out.authKey = user.auth.key;
  }
  if (user.priv !== undefined) {
    out.privProtocol = snmp.PrivProtocols[user.priv.protocol];
    out.privKey = user.priv.key;
  }
  return out;
}

/** A {@link SnmpClient} over one net-snmp session (UDP, IPv4). */
export class NetSnmpClient implements SnmpClient {
  private readonly session: snmp.Session;
  private readonly device: string;

  constructor(target: SnmpTarget) {
    const port = target.port ?? 161;
    this.device = `${target.host}:${port}`;
    const common = {
      port,
      timeout: target.requestTimeoutMs ?? 1000,
      retries: target.retries ?? 1,
      transport: "udp4" as const,
    };
    this.session =
      target.credentials.version === "2c"
        ? snmp.createSession(target.host, target.credentials.community, { ...common, version: snmp.Version2c })
        : snmp.createV3Session(target.host, v3User(target.credentials.user), { ...common, version: snmp.Version3 });
    // A socket error must never become an uncaught exception; requests fail on their own timeouts.
    this.session.on("error", () => {});
  }

  private fail(e: unknown): SnmpTelemetryError {
    const why = e instanceof Error ? e.message : String(e);
    return new SnmpTelemetryError("ERR_SNMP_REQUEST", this.device, why, { cause: e });
  }

  get(oids: readonly string[]): Promise<SnmpValue[]> {
    return new Promise((resolve, reject) => {
      try {
        this.session.get([...oids], (error, varbinds) => {
          if (error) return reject(this.fail(error));
          resolve((varbinds ?? []).map((v) => (snmp.isVarbindError(v) ? undefined : (v.value as SnmpValue))));
        });
      } catch (e) {
        reject(this.fail(e));
      }
    });
  }

  walk(oid: string): Promise<SnmpVarbind[]> {
    return new Promise((resolve, reject) => {
      const rows: SnmpVarbind[] = [];
      try {
        this.session.subtree(
          oid,
          25,
          (varbinds) => {
            for (const v of varbinds)
              if (!snmp.isVarbindError(v)) rows.push({ oid: v.oid, value: v.value as SnmpValue });
          },
          (error) => (error ? reject(this.fail(error)) : resolve(rows)),
        );
      } catch (e) {
        reject(this.fail(e));
      }
    });
  }

  close(): void {
    try {
      this.session.close();
    } catch {
      // Already closed.
    }
  }
}

/** The default factory: a {@link NetSnmpClient}. */
export const netSnmpClientFactory: SnmpClientFactory = (target) => new NetSnmpClient(target);
