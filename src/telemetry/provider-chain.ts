/**
 * The provider chain (issue 7, "Provider selection"): which telemetry provider answers for which hop. Rules map hop
 * addresses or prefixes (the probe responder, i.e. the hop's ingress address) to the providers configured for that
 * router; the most specific rule holding the responder decides. For that hop the chain asks hopd first when the rule
 * has it, then SNMP, and otherwise reports nothing (ICMP only: address, latency, ingress address, `NO_TELEMETRY`). A
 * provider that fails (unreachable, timed out) is skipped for that hop during a hold-down period, so later rounds go
 * straight to the next provider, unless its error says `retryable` (a slow device whose answer is still coming); a
 * provider that answers null (does not know the hop) passes the hop on at once.
 * Egress: a single-path egress without `chosen` gets it filled (src/telemetry/egress-inference.ts); providers infer
 * the ECMP member from `nextResponder` themselves.
 * Mirroring and releases go to every provider that supports them.
 */
import type { ProbeTarget } from "../probe/transport.ts";
import { type Ipv4Prefix, longestMatch, parsePrefix } from "./address-match.ts";
import { completeEgress } from "./egress-inference.ts";
import { MirrorUnsupportedError } from "./icmp-only.ts";
import type { HopQuery, HopTelemetry, MirrorRequest, TelemetryProvider } from "./provider.ts";

/** The kinds of provider a rule can name, in the order the chain tries them. */
export const CHAIN_ORDER = ["hopd", "snmp"] as const;

/** A kind of provider the chain can try. */
export type ChainProviderKind = (typeof CHAIN_ORDER)[number];

/** One rule: the hops it covers and the providers configured for them (none: ICMP only). */
export interface ChainRule {
  /** Hop addresses or prefixes (`a.b.c.d`, `a.b.c.d/n`). */
  readonly match: readonly string[];
  /** The providers of these hops; an empty list means ICMP only. */
  readonly providers: readonly ChainProviderKind[];
}

/** Why the chain moved past a provider for a hop. */
export interface ChainFallback {
  readonly kind: ChainProviderKind;
  readonly responder: string;
  readonly reason: unknown;
}

/** Options of {@link ProviderChain}. */
export interface ProviderChainOptions {
  readonly rules: readonly ChainRule[];
  /** The provider instances; a rule naming a kind that is absent here skips it. */
  readonly providers: Partial<Record<ChainProviderKind, TelemetryProvider>>;
  /** How long a provider that failed for a hop is skipped for it, ms (default 30 000; 0: never skipped). */
  readonly holdDownMs?: number;
  /** Epoch-ms clock (default Date.now). */
  readonly now?: () => number;
  /** Called when a provider failed for a hop and the chain went on (for logs and metrics). */
  readonly onFallback?: (event: ChainFallback) => void;
}

interface CompiledRule {
  readonly prefix: Ipv4Prefix;
  readonly rule: ChainRule;
}

function isUnsupported(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === "ERR_TELEMETRY_MIRROR_UNSUPPORTED";
}

/** A {@link TelemetryProvider} that picks, per hop, hopd, else SNMP, else nothing. */
export class ProviderChain implements TelemetryProvider {
  /** `chain`. */
  readonly name = "chain";
  private readonly rules: CompiledRule[];
  private readonly providers: Partial<Record<ChainProviderKind, TelemetryProvider>>;
  private readonly holdDownMs: number;
  private readonly now: () => number;
  private readonly onFallback: ((event: ChainFallback) => void) | undefined;
  /** `kind responder` → until when (epoch ms) the kind is skipped for that hop. */
  private readonly heldDown = new Map<string, number>();

  /** @throws AddressSyntaxError for a malformed `match`. */
  constructor(options: ProviderChainOptions) {
    this.rules = options.rules.flatMap((rule) => rule.match.map((m) => ({ prefix: parsePrefix(m), rule })));
    this.providers = options.providers;
    this.holdDownMs = options.holdDownMs ?? 30_000;
    this.now = options.now ?? (() => Date.now());
    this.onFallback = options.onFallback;
  }

  /** The providers the chain would try for `responder`, in order (empty: ICMP only). */
  plan(responder: string): ChainProviderKind[] {
    const rule = longestMatch(this.rules, responder)?.rule;
    if (rule === undefined) return [];
    return CHAIN_ORDER.filter((k) => rule.providers.includes(k) && this.providers[k] !== undefined);
  }

  private held(kind: ChainProviderKind, responder: string): boolean {
    const key = `${kind} ${responder}`;
    const until = this.heldDown.get(key);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.heldDown.delete(key);
    return false;
  }

  /**
   * Telemetry of the hop from the first provider of its rule that answers; null when none does (ICMP only). Never
   * throws for a provider's failure: the chain moves on to the next.
   */
  async hop(query: HopQuery): Promise<HopTelemetry | null> {
    for (const kind of this.plan(query.responder)) {
      if (this.held(kind, query.responder)) continue;
      try {
        const telemetry = await this.providers[kind]!.hop(query);
        if (telemetry !== null) return completeEgress(telemetry);
      } catch (reason) {
        // A provider whose device may only be slow (`retryable`, e.g. an SNMP read still going on) is asked again.
        const retryable = (reason as { retryable?: unknown } | null)?.retryable === true;
        if (this.holdDownMs > 0 && !retryable) {
          this.heldDown.set(`${kind} ${query.responder}`, this.now() + this.holdDownMs);
        }
        this.onFallback?.({ kind, responder: query.responder, reason });
      }
    }
    return null;
  }

  private distinct(): TelemetryProvider[] {
    return [...new Set(CHAIN_ORDER.map((k) => this.providers[k]).filter((p) => p !== undefined))];
  }

  /**
   * Starts mirroring at every provider that can mirror; resolves when at least one did.
   * @throws MirrorUnsupportedError when no configured provider can mirror; the first other error when all failed.
   */
  async startMirror(target: ProbeTarget, mirror: MirrorRequest): Promise<void> {
    const results = await Promise.allSettled(this.distinct().map((p) => p.startMirror(target, mirror)));
    if (results.some((r) => r.status === "fulfilled")) return;
    const failure = results.find((r) => r.status === "rejected" && !isUnsupported(r.reason));
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
    throw new MirrorUnsupportedError(
      this.distinct()
        .map((p) => p.name)
        .join("+") || "icmp-only",
    );
  }

  /**
   * Releases the target's counters and mirrors at every provider.
   * @throws the first error of a provider that failed (the others are released all the same).
   */
  async release(target: ProbeTarget): Promise<void> {
    const results = await Promise.allSettled(this.distinct().map((p) => p.release(target)));
    const failure = results.find((r) => r.status === "rejected" && !isUnsupported(r.reason));
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  }

  /** Closes every provider. */
  async close(): Promise<void> {
    await Promise.allSettled(this.distinct().map((p) => p.close()));
  }
}
