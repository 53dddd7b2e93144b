/**
 * The ICMP-only telemetry provider: for real networks with no hop telemetry yet (issue 7 brings hopd and SNMP). It
 * knows nothing of any hop, so `hop()` answers null and the agent's path assembly reports each answering hop with its
 * address and latency only, `HopStatus: "NO_TELEMETRY"` (compute-agent-api.txt, Table 7; src/agent/path-assembly.ts).
 * Mirroring (start/flow `mirror_type`) needs a device that can mirror, so it is refused with
 * {@link MirrorUnsupportedError}; there are no counters or sessions to release.
 */
import type { ProbeTarget } from "../probe/transport.ts";
import type { HopQuery, HopTelemetry, MirrorRequest, TelemetryProvider } from "./provider.ts";

/**
 * Mirroring was asked of a provider that cannot mirror (`ERR_TELEMETRY_MIRROR_UNSUPPORTED`): ERSPAN mirroring of a
 * flow needs hopd on the routers (issue 7).
 */
export class MirrorUnsupportedError extends Error {
  /** Stable error code. */
  readonly code = "ERR_TELEMETRY_MIRROR_UNSUPPORTED";
  /** The provider that refused. */
  readonly provider: string;
  constructor(provider: string) {
    super(`mirroring is not available with ${provider} telemetry: it needs hopd on the routers (issue 7)`);
    this.name = "MirrorUnsupportedError";
    this.provider = provider;
  }
}

/**
 * A {@link TelemetryProvider} named `icmp-only` that reports nothing about any hop: the path is what the probes
 * themselves show (responder address, latency). `startMirror` rejects with {@link MirrorUnsupportedError};
 * `release` and `close` do nothing.
 */
export class IcmpOnlyTelemetry implements TelemetryProvider {
  /** Provider name. */
  readonly name = "icmp-only";

  /** Always null: no telemetry is known for any hop (the agent reports it as `NO_TELEMETRY`). */
  hop(_query: HopQuery): Promise<HopTelemetry | null> {
    return Promise.resolve(null);
  }

  /** Always rejects with {@link MirrorUnsupportedError}. */
  startMirror(_target: ProbeTarget, _mirror: MirrorRequest): Promise<void> {
    return Promise.reject(new MirrorUnsupportedError(this.name));
  }

  /** Nothing to release: this provider installs no counters or mirror sessions. */
  release(_target: ProbeTarget): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to close. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A new {@link IcmpOnlyTelemetry}. */
export function createIcmpOnlyTelemetry(): IcmpOnlyTelemetry {
  return new IcmpOnlyTelemetry();
}
