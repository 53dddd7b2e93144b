/**
 * The receive path's part of a collector interface's status (`InterfaceStatus` in `status.ts`; flow-collector.txt,
 * `show services flow-collector interface X extensive`): the listeners with their granted receive buffers, "Input"
 * (packets, bytes, flow records, each with per-second and peak rates), "Packet drops" under the spec's nine reasons,
 * and the per-input figures of `show services flow-collector input interface X` with each input's sequence state.
 * Counting is plain field arithmetic; {@link ReceiverStatus.snapshot} copies it out as plain data.
 */
import { RateCounter } from "../rate-counter.ts";
import type { InputStatus, InterfaceStatus, PacketDrops } from "../status.ts";

/** A drop reason: one of the spec's "Packet drops" counters (docs/collector.md, "Packet drops"). */
export type DropReason = keyof PacketDrops;

/** The nine reasons in the order the spec prints them. */
export const DROP_REASONS: readonly DropReason[] = Object.freeze([
  "noMemory",
  "notIp",
  "notIpv4",
  "tooSmall",
  "fragments",
  "icmp",
  "tcp",
  "unknown",
  "notJunosFlow",
]);

/** One listening socket: its bound address (`127.0.0.1:2055`, `[::1]:2055`) and the receive buffer granted, bytes. */
export interface ListenerStatus {
  address: string;
  receiveBuffer: number;
}

/** The fields of `InterfaceStatus` the receive path owns. */
export type ReceiverStatusSnapshot = Pick<InterfaceStatus, "listeners" | "input" | "drops" | "inputs">;

/** Every drop counter at zero. */
export function zeroDrops(): PacketDrops {
  return {
    noMemory: 0,
    notIp: 0,
    notIpv4: 0,
    tooSmall: 0,
    fragments: 0,
    icmp: 0,
    tcp: 0,
    unknown: 0,
    notJunosFlow: 0,
  };
}

/** The counters of the receive path of one collector interface. */
export class ReceiverStatus {
  /** Every datagram received on the interface's sockets (valid or not), its bytes, and the flow records stored. */
  readonly input: { readonly packets: RateCounter; readonly bytes: RateCounter; readonly flowRecords: RateCounter };
  /** Dropped datagrams by reason; each datagram is counted at most once. */
  readonly drops: PacketDrops = zeroDrops();
  /**
   * Per input, in configuration order: datagrams, bytes and records stored for it, and the sequence state of its
   * streams (`inOrder` datagrams, flows `lost` net of late arrivals, `outOfOrder` datagrams, stream `resets`).
   */
  readonly inputs: InputStatus[];
  /** The listening sockets, filled in by the listener once bound. */
  listeners: ListenerStatus[] = [];

  /** @param inputs name and exporter (`192.0.2.1` or `any`) of each input, in configuration order. */
  constructor(inputs: readonly { readonly name: string; readonly exporter: string }[], nowMs: number) {
    this.input = {
      packets: new RateCounter(nowMs),
      bytes: new RateCounter(nowMs),
      flowRecords: new RateCounter(nowMs),
    };
    this.inputs = inputs.map((i) => ({
      name: i.name,
      exporter: i.exporter,
      packets: 0,
      bytes: 0,
      flows: 0,
      sequence: { inOrder: 0, lost: 0, outOfOrder: 0, resets: 0 },
    }));
  }

  /** Counts one dropped datagram under `reason`. */
  drop(reason: DropReason): void {
    this.drops[reason]++;
  }

  /** Datagrams dropped, all reasons together. */
  get dropped(): number {
    let n = 0;
    for (const r of DROP_REASONS) n += this.drops[r];
    return n;
  }

  /** Closes the current rate interval (called about once a second). */
  tick(nowMs: number): void {
    this.input.packets.tick(nowMs);
    this.input.bytes.tick(nowMs);
    this.input.flowRecords.tick(nowMs);
  }

  /** Zeroes every counter, rate, drop and per-input figure (`clear services flow-collector statistics`). */
  clear(nowMs: number): void {
    this.input.packets.clear(nowMs);
    this.input.bytes.clear(nowMs);
    this.input.flowRecords.clear(nowMs);
    for (const r of DROP_REASONS) this.drops[r] = 0;
    for (const i of this.inputs) {
      i.packets = 0;
      i.bytes = 0;
      i.flows = 0;
      i.sequence.inOrder = 0;
      i.sequence.lost = 0;
      i.sequence.outOfOrder = 0;
      i.sequence.resets = 0;
    }
  }

  /** The figures as plain data (copies). */
  snapshot(): ReceiverStatusSnapshot {
    return {
      listeners: this.listeners.map((l) => ({ ...l })),
      input: {
        packets: this.input.packets.snapshot(),
        bytes: this.input.bytes.snapshot(),
        flowRecords: this.input.flowRecords.snapshot(),
      },
      drops: { ...this.drops },
      inputs: this.inputs.map((i) => ({ ...i, sequence: { ...i.sequence } })),
    };
  }
}
