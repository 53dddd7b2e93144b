/**
 * list/flow on a real host: the host's TCP and UDP sockets read from `/proc/net/{tcp,tcp6,udp,udp6}`, plus the connection
 * tracker's flows from `/proc/net/nf_conntrack` where present (conntrack-flows.ts) (the socket tables are readable without
 * root), each connected socket one flow from the local address (SIP, SPORT) to the remote one (DIP, DPORT). IPv4 only
 * (IPv4-mapped IPv6 sockets included), loopback and listening sockets left out. A flow is first seen when a sniff
 * first finds it and last seen at the last sniff that found it; flows gone for `retentionMs` are forgotten.
 */
import { readFile } from "node:fs/promises";
import { endianness } from "node:os";
import { join } from "node:path";
import type { AgentClock, CancelTimer } from "./clock.ts";
import { parseConntrackTable } from "./conntrack-flows.ts";
import type { FlowSource, SniffedFlow } from "./flow-source.ts";

/** One socket of a `/proc/net` table. */
export interface ProcSocket {
  proto: "tcp" | "udp";
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The `st` column (hex), e.g. `01` ESTABLISHED, `0A` LISTEN. */
  state: string;
}

const TCP_LISTEN = "0A";

function octetsOfWord(hex: string, little: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return little ? bytes.reverse() : bytes;
}

/**
 * The dotted-quad IPv4 address of a `/proc/net` address column (8 hex digits, or 32 for the IPv6 tables where only
 * IPv4-mapped `::ffff:a.b.c.d` addresses count), or null. `little`: the host is little-endian (words printed in host
 * byte order).
 */
export function procAddressToIpv4(hex: string, little: boolean): string | null {
  if (hex.length === 8) return octetsOfWord(hex, little).join(".");
  if (hex.length !== 32) return null;
  const words = [0, 8, 16, 24].map((i) => octetsOfWord(hex.slice(i, i + 8), little));
  const prefix = [...words[0]!, ...words[1]!, ...words[2]!];
  const mapped = prefix.slice(0, 10).every((b) => b === 0) && prefix[10] === 0xff && prefix[11] === 0xff;
  return mapped ? words[3]!.join(".") : null;
}

/** The sockets of one `/proc/net/{tcp,udp}[6]` table text (malformed lines and non-IPv4 sockets skipped). */
export function parseProcNetTable(text: string, proto: "tcp" | "udp", little = endianness() === "LE"): ProcSocket[] {
  const out: ProcSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const [local, remote, state] = [cols[1]!, cols[2]!, cols[3]!];
    const l = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(local);
    const r = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(remote);
    if (l === null || r === null) continue;
    const localAddress = procAddressToIpv4(l[1]!, little);
    const remoteAddress = procAddressToIpv4(r[1]!, little);
    if (localAddress === null || remoteAddress === null) continue;
    out.push({
      proto,
      localAddress,
      localPort: Number.parseInt(l[2]!, 16),
      remoteAddress,
      remotePort: Number.parseInt(r[2]!, 16),
      state: state.toUpperCase(),
    });
  }
  return out;
}

/** Whether a socket is a flow list/flow reports: connected, not listening, neither end loopback or unspecified. */
export function isReportedFlow(s: ProcSocket): boolean {
  if (s.remotePort === 0 || s.localPort === 0) return false;
  if (s.proto === "tcp" && s.state === TCP_LISTEN) return false;
  const unusable = (a: string) => a === "0.0.0.0" || a.startsWith("127.");
  return !unusable(s.localAddress) && !unusable(s.remoteAddress);
}

/** Options of {@link ProcNetFlowSource}. */
export interface ProcNetOptions {
  clock: AgentClock;
  /** Folder of the tables; default `/proc/net`. */
  root?: string;
  /** How long a flow no longer present is still listed (by list/flow without `active=True`), ms; default 10 min. */
  retentionMs?: number;
  /** Sniff this often in the background (0: only when list/flow asks), ms; default 0. */
  sniffIntervalMs?: number;
}

const TABLES: readonly (readonly [file: string, proto: "tcp" | "udp"])[] = [
  ["tcp", "tcp"],
  ["tcp6", "tcp"],
  ["udp", "udp"],
  ["udp6", "udp"],
];

/** The host's flows from `/proc/net`. */
export class ProcNetFlowSource implements FlowSource {
  readonly name = "proc";
  readonly #options: Required<ProcNetOptions>;
  readonly #known = new Map<string, SniffedFlow>();
  #timer: CancelTimer | null = null;

  constructor(options: ProcNetOptions) {
    this.#options = { root: "/proc/net", retentionMs: 600_000, sniffIntervalMs: 0, ...options };
    if (this.#options.sniffIntervalMs > 0) this.#arm();
  }

  /** Sniffs now and returns every flow known. @throws Error when no table could be read. */
  async flows(): Promise<readonly SniffedFlow[]> {
    await this.sniff();
    return [...this.#known.values()];
  }

  /** Reads the four tables and updates the known flows. @throws Error when none could be read. */
  async sniff(): Promise<void> {
    const now = this.#options.clock.now();
    const read = await Promise.all(
      TABLES.map(([file, proto]) =>
        readFile(join(this.#options.root, file), "utf8").then(
          (text) => parseProcNetTable(text, proto),
          () => null,
        ),
      ),
    );
    if (read.every((r) => r === null)) throw new Error(`cannot read the socket tables under ${this.#options.root}`);
    // Forwarded flows on a router: the connection tracker's table, where present and readable (optional).
    const tracked = await readFile(join(this.#options.root, "nf_conntrack"), "utf8").then(
      parseConntrackTable,
      () => [],
    );
    for (const s of [...read.flatMap((r) => r ?? []), ...tracked].filter(isReportedFlow)) {
      const key = `${s.proto}|${s.localAddress}|${s.localPort}|${s.remoteAddress}|${s.remotePort}`;
      const flow = this.#known.get(key);
      if (flow !== undefined) flow.lastSeenMs = now;
      else {
        this.#known.set(key, {
          sip: s.localAddress,
          dip: s.remoteAddress,
          proto: s.proto,
          sport: s.localPort,
          dport: s.remotePort,
          firstSeenMs: now,
          lastSeenMs: now,
        });
      }
    }
    for (const [key, flow] of this.#known)
      if (now - flow.lastSeenMs > this.#options.retentionMs) this.#known.delete(key);
  }

  /** Stops background sniffing. */
  close(): void {
    this.#timer?.();
    this.#timer = null;
  }

  #arm(): void {
    this.#timer = this.#options.clock.setTimer(this.#options.sniffIntervalMs, () => {
      this.sniff()
        .catch(() => undefined)
        .finally(() => {
          if (this.#timer !== null) this.#arm();
        });
    });
  }
}
