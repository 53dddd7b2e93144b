/**
 * What hopd answers, independent of HTTP: the device (Table 7 device fields and Table 8 `Type`), every interface's
 * counters (Table 14), a flow's hop telemetry (the agent's `HopTelemetry`: ingress, egress with its ECMP group and
 * LAGs, optionally the flow counter), and the flow's mirror sessions and counters (installed, released).
 */
import { z } from "zod";
import { errorSummary } from "../runtime/errors.ts";
import type { ProbeTarget } from "../probe/transport.ts";
import type { HopTelemetry, InterfaceCounters } from "../telemetry/provider.ts";
import { ClockSyncReader, type TimestampType } from "./clock-sync.ts";
import { type DeviceIdentity, DeviceReader } from "./device-info.ts";
import { FlowCounters } from "./flow-counters.ts";
import { ipv4Schema, packetTuple, parseRequest, targetKey, targetSchema } from "./flow-target.ts";
import { ForwardingReader } from "./forwarding.ts";
import { InterfaceCounterReader } from "./interface-counters.ts";
import {
  type MirrorSessionStatus,
  MirrorSessions,
  type MirrorSessionsOptions,
  checkMirrorRequest,
} from "./mirror-sessions.ts";
import type { HopSystem } from "./system.ts";

const mirrorSchema = z.strictObject({ type: z.string().min(1), direction: z.string().min(1), analyzer: ipv4Schema });

/** Body of `POST /v1/hop`. */
export const hopRequestSchema = z.strictObject({
  target: targetSchema,
  /** The address that answered the probe at this hop. */
  responder: ipv4Schema,
  /** The next hop's responder, when known. */
  nextResponder: ipv4Schema.optional(),
  /** Read (installing if needed) the flow counter. */
  bwIngress: z.boolean().default(false),
  /** Also make sure this mirror session runs (the provider piggybacks start/flow's mirror on hop queries). */
  mirror: mirrorSchema.optional(),
});

/** Body of `POST /v1/mirror`. */
export const mirrorRequestSchema = z.strictObject({
  target: targetSchema,
  responder: ipv4Schema,
  nextResponder: ipv4Schema.optional(),
  mirror: mirrorSchema,
});

/** Body of `POST /v1/release`. */
export const releaseRequestSchema = z.strictObject({ target: targetSchema });

/** The device answer. */
export interface DeviceAnswer {
  devName: string;
  devSerialId: string;
  cpuUtil: number;
  memUtil: number;
  timestampType: TimestampType;
}

/** The hop answer: the agent's HopTelemetry plus what hopd found on the way. */
export interface HopAnswer extends HopTelemetry {
  /** The kernel's route choice (`ip route get`): device and gateway; null when inferred from the next responder. */
  route: { dev: string; gateway?: string } | null;
  /** The mirror session of the flow at this router, when one runs. */
  mirror?: MirrorSessionStatus;
  /** Why the mirror asked for with the query could not start. */
  mirrorError?: { code: string; message: string };
}

/** Options of {@link HopService}. */
export interface HopServiceOptions {
  system: HopSystem;
  device?: DeviceIdentity;
  /** nftables table (family inet). */
  nftTable: string;
  /** At most this many flow counters. */
  maxFlows: number;
  /** Mirror options (source address, sender, limits). */
  mirror: MirrorSessionsOptions;
}

/** hopd's logic. Call {@link HopService.start} before use and {@link HopService.stop} at the end. */
export class HopService {
  readonly device: DeviceReader;
  readonly clock: ClockSyncReader;
  readonly interfaces: InterfaceCounterReader;
  readonly forwarding: ForwardingReader;
  readonly counters: FlowCounters;
  readonly mirrors: MirrorSessions;
  #started = false;

  constructor(options: HopServiceOptions) {
    this.device = new DeviceReader(options.system, options.device);
    this.clock = new ClockSyncReader(options.system);
    this.interfaces = new InterfaceCounterReader(options.system);
    this.forwarding = new ForwardingReader(options.system, this.interfaces);
    this.counters = new FlowCounters(options.system, options.nftTable, options.maxFlows);
    this.mirrors = new MirrorSessions(options.mirror);
  }

  /** Clears stale nftables state (hopd's whole table) and creates it empty. */
  async start(): Promise<void> {
    await this.counters.reset();
    this.#started = true;
  }

  /** Whether {@link HopService.start} succeeded and {@link HopService.stop} was not called since. */
  get started(): boolean {
    return this.#started;
  }

  /** Stops every mirror and deletes the nftables table. */
  async stop(): Promise<void> {
    this.#started = false;
    await this.mirrors.close();
    await this.counters.destroy();
  }

  /** Device name, serial, CPU, memory, timestamp type. */
  async deviceAnswer(): Promise<DeviceAnswer> {
    const [d, timestampType] = await Promise.all([this.device.read(), this.clock.read()]);
    return { ...d, timestampType };
  }

  /** Every interface's counters. */
  async interfaceAnswer(): Promise<{ name: string; counters: InterfaceCounters }[]> {
    return [...(await this.interfaces.all())].map(([name, counters]) => ({ name, counters }));
  }

  /**
   * Hop telemetry of a flow at this router.
   * @throws HopdError `ERR_HOPD_BAD_REQUEST`, `ERR_HOPD_UNKNOWN_ADDRESS`, `ERR_HOPD_COMMAND`, and mirror errors.
   */
  async hop(body: unknown): Promise<HopAnswer> {
    const req = parseRequest(hopRequestSchema, body, "hop request");
    const target = req.target as ProbeTarget;
    const tuple = packetTuple(target);
    const [device, fwd] = await Promise.all([
      this.deviceAnswer(),
      this.forwarding.forwarding(tuple, req.responder, req.nextResponder),
    ]);
    const answer: HopAnswer = {
      ...device,
      ingress: [await this.forwarding.logical(fwd.ingress)],
      egress: fwd.egress,
      route:
        fwd.route === null
          ? null
          : { dev: fwd.route.dev, ...(fwd.route.gateway ? { gateway: fwd.route.gateway } : {}) },
    };
    if (req.bwIngress) answer.bandwidth = await this.counters.read(targetKey(target), tuple, fwd.ingress);
    if (req.mirror !== undefined) {
      // A mirror that cannot start must not cost the hop its telemetry: the failure is reported beside it.
      try {
        answer.mirror = await this.#mirror(target, fwd.ingress, fwd.route?.dev ?? fwd.egress.chosen, req.mirror);
      } catch (e) {
        answer.mirrorError = errorSummary(e);
      }
    }
    return answer;
  }

  /** Starts (or keeps) the flow's mirror session at this router. */
  async mirror(body: unknown): Promise<MirrorSessionStatus> {
    const req = parseRequest(mirrorRequestSchema, body, "mirror request");
    const target = req.target as ProbeTarget;
    checkMirrorRequest(req.mirror);
    const fwd = await this.forwarding.forwarding(packetTuple(target), req.responder, req.nextResponder);
    return this.#mirror(target, fwd.ingress, fwd.route?.dev ?? fwd.egress.chosen, req.mirror);
  }

  async #mirror(
    target: ProbeTarget,
    ingress: string,
    egress: string | undefined,
    mirror: z.output<typeof mirrorSchema>,
  ): Promise<MirrorSessionStatus> {
    const direction = checkMirrorRequest(mirror);
    const links = await this.forwarding.links();
    const index = (name: string) => links.find((l) => l.ifname === name)?.ifindex ?? 0;
    const ports: { ifname: string; ifindex: number; direction: "in" | "out" }[] = [];
    if (direction !== "egress") ports.push({ ifname: ingress, ifindex: index(ingress), direction: "in" });
    if (direction !== "ingress" && egress !== undefined && egress !== "lo") {
      ports.push({ ifname: egress, ifindex: index(egress), direction: "out" });
    }
    return this.mirrors.start(targetKey(target), {
      tuple: packetTuple(target),
      direction,
      analyzer: mirror.analyzer,
      ports,
    });
  }

  /** Removes the flow's counter and mirror session. */
  async release(body: unknown): Promise<{ released: string }> {
    const req = parseRequest(releaseRequestSchema, body, "release request");
    const key = targetKey(req.target as ProbeTarget);
    await Promise.all([this.counters.release(key), this.mirrors.release(key)]);
    return { released: key };
  }
}
