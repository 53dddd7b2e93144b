/**
 * Capture of one flow's packets on one interface and direction, for user-space mirroring: Debian's tcpdump writing a
 * pcap stream (`tcpdump -i IF -Q in|out --immediate-mode -U -w - -n -s SNAPLEN FILTER`, one packet at a time), read
 * by the pure {@link CaptureParser}. The filter is the flow's exact tuple, so only its packets reach hopd. Needs
 * CAP_NET_RAW (root, or `setcap cap_net_raw+eip /usr/bin/tcpdump`). A tcpdump that fails is reported once through `onExit`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type CapturedPacket, CaptureParser } from "../wire/capture-parser.ts";
import type { PacketTuple } from "./flow-target.ts";

/** How long tcpdump may take to say it is listening, milliseconds. */
export const CAPTURE_START_TIMEOUT_MS = 5000;

/** Capture direction (`tcpdump -Q`). */
export type CaptureDirection = "in" | "out";

/** The pcap-filter(7) expression matching exactly the packets of `tuple`. */
export function flowFilter(tuple: PacketTuple): string {
  return (
    `ip and src host ${tuple.src} and dst host ${tuple.dst} and ${tuple.proto}` +
    ` and src port ${tuple.sport} and dst port ${tuple.dport}`
  );
}

/** tcpdump's arguments for a flow capture. */
export function captureArgs(
  ifname: string,
  direction: CaptureDirection,
  tuple: PacketTuple,
  snaplen: number,
): string[] {
  // --immediate-mode: without it libpcap (TPACKET_V3) hands packets over a block at a time, up to 1 s late, and the
  // packets of the last block are lost when the capture is stopped (a release right after a burst mirrored none of it).
  return [
    "-i",
    ifname,
    "-Q",
    direction,
    "--immediate-mode",
    "-U",
    "-w",
    "-",
    "-n",
    "-s",
    String(snaplen),
    flowFilter(tuple),
  ];
}

/** Options of {@link FlowCapture.start}. */
export interface FlowCaptureOptions {
  ifname: string;
  direction: CaptureDirection;
  tuple: PacketTuple;
  /** Bytes captured per packet. */
  snaplen: number;
  /** The tcpdump program (default `tcpdump`). */
  program?: string;
  /** Each packet, in capture order (`p.data` is valid only during the call). */
  onPacket(p: CapturedPacket): void;
  /** tcpdump ended on its own (not by stop): the last stderr line. */
  onExit?(reason: string): void;
}

/** A running capture. */
export class FlowCapture {
  readonly #child: ChildProcess;
  readonly #closed: Promise<void>;
  #stopping = false;
  #listening = false;

  private constructor(child: ChildProcess, closed: Promise<void>) {
    this.#child = child;
    this.#closed = closed;
  }

  /** Starts tcpdump; resolves once it is listening (or has failed: see `onExit`). */
  static async start(options: FlowCaptureOptions): Promise<FlowCapture> {
    const args = captureArgs(options.ifname, options.direction, options.tuple, options.snaplen);
    const child = spawn(options.program ?? "tcpdump", args, { stdio: ["ignore", "pipe", "pipe"] });
    const parser = new CaptureParser();
    let stderr = "";
    let failed = false;
    let capture: FlowCapture | null = null;
    let announce: (ok: boolean) => void = () => {};
    const listening = new Promise<boolean>((resolve) => {
      announce = resolve;
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      if (failed) return;
      try {
        parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        for (let p = parser.next(); p !== undefined; p = parser.next()) options.onPacket(p);
      } catch (e) {
        failed = true;
        options.onExit?.(`capture stream: ${(e as Error).message}`);
        if (child.exitCode === null) child.kill("SIGTERM");
      }
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4096);
      if (/listening on /.test(stderr)) announce(true);
    });
    const closed = new Promise<void>((resolve) => {
      child.on("error", (e) => {
        stderr += `\n${e.message}`;
      });
      child.on("close", (code, signal) => {
        announce(false);
        if (capture !== null && !capture.#stopping && !failed) {
          const line = stderr.trim().split("\n").at(-1) || `tcpdump exited (${code ?? signal})`;
          options.onExit?.(line);
        }
        resolve();
      });
    });
    capture = new FlowCapture(child, closed);
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      listening,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CAPTURE_START_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    capture.#listening = ok;
    return capture;
  }

  /** Whether tcpdump said it is listening (within {@link CAPTURE_START_TIMEOUT_MS} of the start). */
  get listening(): boolean {
    return this.#listening;
  }

  /** Stops tcpdump (SIGTERM by PID, SIGKILL after 2 s) and waits for it to end. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const pid = this.#child.pid;
    const alive = () => this.#child.exitCode === null && this.#child.signalCode === null;
    if (pid !== undefined && alive()) this.#child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (pid !== undefined && alive()) this.#child.kill("SIGKILL");
    }, 2000);
    await this.#closed;
    clearTimeout(timer);
  }
}
