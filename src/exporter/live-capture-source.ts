/**
 * Live capture from an interface for the exporter (issue 4, "live capture from an interface"): Debian's `tcpdump` is
 * the capture process, `tcpdump -i IFACE -w - -U -n -s SNAPLEN [filter]`, writing a pcap stream to its stdout one
 * packet at a time (`-U`), which the pure {@link CaptureParser} turns into packets. tcpdump needs CAP_NET_RAW (and
 * CAP_NET_ADMIN for promiscuous mode): run the exporter as root, or give the program the capabilities once with
 * `setcap cap_net_raw,cap_net_admin+eip /usr/bin/tcpdump`, so the Node process itself stays unprivileged.
 *
 * A tcpdump that is missing, refuses the interface or dies is one {@link LiveCaptureError}, never a crash.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type CapturedPacket, CaptureParser } from "../wire/capture-parser.ts";
import { LIVE_CAPTURE_UNAVAILABLE } from "./config.ts";

/** The default capture length, bytes (`tcpdump -s 0` means the same). */
export const LIVE_CAPTURE_SNAPLEN = 262_144;

/** Stable codes of {@link LiveCaptureError}. */
export type LiveCaptureErrorCode = "ERR_LIVE_CAPTURE_PROGRAM" | "ERR_LIVE_CAPTURE_FAILED" | "ERR_LIVE_CAPTURE_STREAM";

/**
 * A live capture that could not start or stopped on its own: `ERR_LIVE_CAPTURE_PROGRAM` (tcpdump not found),
 * `ERR_LIVE_CAPTURE_FAILED` (tcpdump exited, e.g. no such interface or no privilege; its last stderr line is the
 * message), `ERR_LIVE_CAPTURE_STREAM` (its output is not a pcap stream).
 */
export class LiveCaptureError extends Error {
  /** The stable code. */
  readonly code: LiveCaptureErrorCode;
  /** The interface captured. */
  readonly interfaceName: string;

  constructor(code: LiveCaptureErrorCode, interfaceName: string, message: string, cause?: unknown) {
    super(`live capture on ${interfaceName}: ${message}`, { cause });
    this.name = "LiveCaptureError";
    this.code = code;
    this.interfaceName = interfaceName;
  }
}

/** What to capture and how. */
export interface LiveCaptureOptions {
  /** The interface (`tcpdump -i`). */
  interfaceName: string;
  /** Bytes captured per packet (default {@link LIVE_CAPTURE_SNAPLEN}). */
  snaplen?: number;
  /** A pcap-filter(7) expression. */
  filter?: string;
  /**
   * The capture command before tcpdump's own arguments (default `["tcpdump"]`); e.g. `["ip", "netns", "exec", "ns1",
   * "tcpdump"]` captures inside a network namespace.
   */
  command?: readonly string[];
  /** Stops the capture (tcpdump gets SIGTERM, the packets it still writes are read); the promise then resolves. */
  signal?: AbortSignal;
}

/** What a capture does with the packets. */
export interface LiveCaptureHandlers {
  /** Called for each packet, in capture order; `p.data` is valid only during the call. */
  packet(p: CapturedPacket): void;
  /** Called once when tcpdump says it is listening. */
  listening?(): void;
}

/** tcpdump's arguments for `options`: pcap to stdout, packet-buffered, no name lookups. */
export function tcpdumpArgs(options: LiveCaptureOptions): string[] {
  const args = [
    "-i",
    options.interfaceName,
    "-w",
    "-",
    "-U",
    "-n",
    "-s",
    String(options.snaplen ?? LIVE_CAPTURE_SNAPLEN),
  ];
  if (options.filter !== undefined) args.push(options.filter);
  return args;
}

const lastLine = (text: string): string =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .at(-1) ?? "";

/**
 * Captures from the interface until `signal` aborts (resolves with the number of packets) or tcpdump fails.
 * @throws LiveCaptureError (see its codes); packets read before the fault were handed over.
 */
export function captureLive(options: LiveCaptureOptions, handlers: LiveCaptureHandlers): Promise<number> {
  const name = options.interfaceName;
  const [program, ...prefix] = options.command ?? ["tcpdump"];
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve(0);
      return;
    }
    const parser = new CaptureParser();
    let count = 0;
    let stderr = "";
    let failure: LiveCaptureError | undefined;
    let announced = false;
    let child: ChildProcess;
    try {
      child = spawn(program, [...prefix, ...tcpdumpArgs(options)], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      reject(new LiveCaptureError("ERR_LIVE_CAPTURE_PROGRAM", name, LIVE_CAPTURE_UNAVAILABLE, e));
      return;
    }
    const stop = (): void => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    };
    const onAbort = (): void => stop();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const drain = (): void => {
      for (let p = parser.next(); p !== undefined; p = parser.next()) {
        handlers.packet(p);
        count++;
      }
    };
    child.stdout?.on("data", (chunk: Buffer) => {
      if (failure !== undefined) return;
      try {
        parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        drain();
      } catch (e) {
        failure = new LiveCaptureError("ERR_LIVE_CAPTURE_STREAM", name, (e as Error).message, e);
        stop();
      }
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4096);
      if (!announced && /listening on /.test(stderr)) {
        announced = true;
        handlers.listening?.();
      }
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      failure ??=
        e.code === "ENOENT"
          ? new LiveCaptureError("ERR_LIVE_CAPTURE_PROGRAM", name, LIVE_CAPTURE_UNAVAILABLE, e)
          : new LiveCaptureError("ERR_LIVE_CAPTURE_FAILED", name, e.message, e);
    });
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (failure === undefined && options.signal?.aborted !== true) {
        const why = lastLine(stderr) || `tcpdump exited (${code ?? signal})`;
        failure = new LiveCaptureError("ERR_LIVE_CAPTURE_FAILED", name, why);
      }
      if (failure !== undefined) reject(failure);
      else resolve(count);
    });
  });
}
