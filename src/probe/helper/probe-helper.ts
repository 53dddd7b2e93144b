/**
 * The Node side of the privileged probe helper `native/flowlens-probe` (docs/probe-helper.md): spawns it, sends the
 * IPv4 packets TypeScript builds, and yields the packets it receives (ICMP errors, TCP answers) with kernel timestamps.
 * The Node process itself needs no privilege; the helper holds CAP_NET_RAW.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { HelperCaptureError, HelperClosedError, HelperUnavailableError, type ProbeHelperError } from "./errors.ts";
import {
  type CaptureRequest,
  type CapturedPacket,
  FRAME_CAPTURED,
  FRAME_CAPTURE_START,
  FRAME_CAPTURE_STATE,
  FRAME_CAPTURE_STOP,
  FRAME_ERROR,
  FRAME_MAX_PACKET,
  FRAME_READY,
  FRAME_RECV,
  FRAME_SEND,
  type Frame,
  FrameDecoder,
  type ReadyInfo,
  type ReceivedPacket,
  decodeCaptureStatePayload,
  decodeCapturedPayload,
  decodeErrorPayload,
  decodeReadyPayload,
  encodeCaptureStartPayload,
  decodeRecvPayload,
  encodeFrame,
} from "./framing.ts";

/**
 * Where `scripts/build-native.sh` puts the helper binary, seen from this module: three levels up when running from the
 * sources (`src/probe/helper/`), one level up when running from the esbuild bundle (`dist/`). The first that exists;
 * the sources' location when neither does (the error then names it).
 */
export const DEFAULT_HELPER_PATH = ((): string => {
  const candidates = ["../../../native/build/flowlens-probe", "../native/build/flowlens-probe"].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((path) => existsSync(path)) ?? (candidates[0] as string);
})();

/** Options of {@link ProbeHelper.start}. */
export interface ProbeHelperOptions {
  /** Path of the helper binary (default {@link DEFAULT_HELPER_PATH}). */
  helperPath?: string;
  /** Command prefix to run the helper under, e.g. `["ip", "netns", "exec", "ns1"]` (it must exec the helper). */
  wrapper?: readonly string[];
  /** How long to wait for READY, milliseconds (default 5000). */
  startTimeoutMs?: number;
  /** Received packets kept while nobody reads them; beyond this the oldest are dropped and counted (default 65536). */
  maxQueued?: number;
  /** Called with each non-fatal ERROR line after READY (a failed send, say). */
  onError?: (line: string) => void;
}

const PRIVILEGE_ERRNOS = / (EPERM|EACCES):/;

/** Something that captures packets for a sniffer: the probe helper, or a test double. */
export interface PacketCapture {
  /** Starts (or restarts) the capture; `onPacket` gets every captured packet until {@link stopCapture}. */
  startCapture(request: Partial<CaptureRequest>, onPacket: (packet: CapturedPacket) => void): Promise<void>;
  /** Stops the capture; captured packets still in the pipe are dropped. */
  stopCapture(): Promise<void>;
}

/** A CAPTURE_START or CAPTURE_STOP waiting for its CAPTURE_STATE (or its `capture ...` ERROR). */
interface CaptureWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** A running probe helper. Create with {@link ProbeHelper.start}; always {@link ProbeHelper.close} it. */
export class ProbeHelper implements AsyncIterable<ReceivedPacket>, PacketCapture {
  /** What the helper announced in READY. */
  readonly ready: ReadyInfo;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #exited: Promise<number | string>;
  readonly #maxQueued: number;
  readonly #onError: ((line: string) => void) | undefined;
  #queue: ReceivedPacket[] = [];
  #waiter: ((r: IteratorResult<ReceivedPacket>) => void) | null = null;
  #failWaiter: ((e: ProbeHelperError) => void) | null = null;
  #ended = false;
  #failure: ProbeHelperError | null = null;
  #dropped = 0;
  #errors = 0;
  #onCapture: ((packet: CapturedPacket) => void) | null = null;
  readonly #captureWaiters: CaptureWaiter[] = [];
  #captured = 0;

  private constructor(
    child: ChildProcessWithoutNullStreams,
    exited: Promise<number | string>,
    ready: ReadyInfo,
    opts: ProbeHelperOptions,
  ) {
    this.#child = child;
    this.#exited = exited;
    this.ready = ready;
    this.#maxQueued = opts.maxQueued ?? 65536;
    this.#onError = opts.onError;
  }

  /**
   * Spawns the helper and waits for READY.
   * @throws HelperUnavailableError `missing` (binary not built), `privilege` (no CAP_NET_RAW: EPERM/EACCES on socket
   *   creation), `failed` (could not spawn, exited or timed out before READY).
   */
  static start(opts: ProbeHelperOptions = {}): Promise<ProbeHelper> {
    const path = opts.helperPath ?? DEFAULT_HELPER_PATH;
    if (!existsSync(path)) {
      return Promise.reject(
        new HelperUnavailableError(
          "missing",
          `raw probe transport unavailable: helper ${path} not built (run \`bash scripts/build-native.sh\`; it needs a C compiler)`,
        ),
      );
    }
    const argv = [...(opts.wrapper ?? []), path];
    const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    const exited = new Promise<number | string>((resolve) =>
      child.on("close", (code, signal) => resolve(code ?? signal ?? "unknown")),
    );
    child.stdin.on("error", () => {}); // EPIPE after the helper exits is reported through `exited`.
    return new Promise<ProbeHelper>((resolve, reject) => {
      const decoder = new FrameDecoder();
      const errors: string[] = [];
      let stderr = "";
      let helper: ProbeHelper | null = null;
      const fail = (e: HelperUnavailableError) => {
        clearTimeout(timer);
        if (child.exitCode === null && child.pid !== undefined) child.kill("SIGKILL");
        reject(e);
      };
      const timer = setTimeout(
        () =>
          fail(
            new HelperUnavailableError("failed", `probe helper sent no READY within ${opts.startTimeoutMs ?? 5000} ms`),
          ),
        opts.startTimeoutMs ?? 5000,
      );
      child.on("error", (cause) =>
        fail(new HelperUnavailableError("failed", `cannot start probe helper ${argv[0]}: ${cause.message}`, { cause })),
      );
      child.stderr.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      child.stdout.on("data", (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch (cause) {
          if (helper) helper.#fail(cause as ProbeHelperError);
          else fail(new HelperUnavailableError("failed", `probe helper spoke garbage: ${String(cause)}`, { cause }));
          return;
        }
        for (const f of frames) {
          if (helper) helper.#onFrame(f);
          else if (f.type === FRAME_ERROR) errors.push(decodeErrorPayload(f.payload));
          else if (f.type === FRAME_READY) {
            clearTimeout(timer);
            helper = new ProbeHelper(child, exited, decodeReadyPayload(f.payload), opts);
            resolve(helper);
          }
        }
      });
      void exited.then((status) => {
        if (helper) return helper.#end();
        const detail = errors.join("; ") || stderr.trim() || `exit status ${status}`;
        const reason = PRIVILEGE_ERRNOS.test(detail) ? "privilege" : "failed";
        const hint =
          reason === "privilege" ? " (needs CAP_NET_RAW: run as root or `setcap cap_net_raw+ep` on the helper)" : "";
        fail(new HelperUnavailableError(reason, `raw probe transport unavailable: ${detail}${hint}`));
      });
    });
  }

  /** Process id of the helper (of the wrapper, which execs it). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Received packets dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Non-fatal ERROR frames received after READY. */
  get errors(): number {
    return this.#errors;
  }

  /**
   * Sends one whole IPv4 packet (header included; the helper checks that its total length matches). Fire and forget:
   * a send the kernel refuses comes back as an ERROR line through `onError`.
   * @throws HelperClosedError after close or exit; RangeError for a packet outside 20..65535 bytes.
   */
  send(packet: Uint8Array): void {
    if (this.#ended || this.#child.stdin.destroyed || !this.#child.stdin.writable) throw new HelperClosedError();
    if (packet.length < 20 || packet.length > FRAME_MAX_PACKET) {
      throw new RangeError(`IPv4 packet of ${packet.length} bytes, must be 20..${FRAME_MAX_PACKET}`);
    }
    this.#child.stdin.write(encodeFrame(FRAME_SEND, packet));
  }

  /** Packets captured since start (CAPTURED frames delivered to a capture callback). */
  get captured(): number {
    return this.#captured;
  }

  /**
   * Starts the helper's AF_PACKET capture of IPv4 UDP datagrams to `udpDstPort` (default 4789, VXLAN; 0: any UDP) on
   * `ifname` (default every interface of the helper's namespace), cut at `snapLength` bytes (default 256; 0: whole).
   * Both directions are captured (packet type `PACKET_OUTGOING` for sent ones). One capture per helper: starting again
   * replaces the filter and the callback. Resolves once the helper confirms.
   * @throws HelperCaptureError when the helper cannot capture (no AF_PACKET socket, unknown interface);
   *   HelperClosedError after close; RangeError for a bad request.
   */
  startCapture(request: Partial<CaptureRequest>, onPacket: (packet: CapturedPacket) => void): Promise<void> {
    if (!this.ready.capture) {
      return Promise.reject(
        new HelperCaptureError(
          "capture EOPNOTSUPP: the probe helper has no AF_PACKET socket (rebuild it, or no CAP_NET_RAW)",
        ),
      );
    }
    const payload = encodeCaptureStartPayload({
      udpDstPort: request.udpDstPort ?? 4789,
      snapLength: request.snapLength ?? 256,
      ifname: request.ifname ?? "",
    });
    this.#onCapture = onPacket;
    return this.#captureCommand(encodeFrame(FRAME_CAPTURE_START, payload));
  }

  /** Stops the capture (the callback gets nothing more). @throws HelperClosedError after close. */
  stopCapture(): Promise<void> {
    this.#onCapture = null;
    if (!this.ready.capture) return Promise.resolve();
    return this.#captureCommand(encodeFrame(FRAME_CAPTURE_STOP, new Uint8Array(0)));
  }

  #captureCommand(frame: Uint8Array): Promise<void> {
    if (this.#ended || this.#child.stdin.destroyed || !this.#child.stdin.writable) {
      return Promise.reject(new HelperClosedError());
    }
    return new Promise<void>((resolve, reject) => {
      this.#captureWaiters.push({ resolve, reject });
      this.#child.stdin.write(frame);
    });
  }

  /** The received packets, in arrival order; ends when the helper exits. One consumer at a time. */
  [Symbol.asyncIterator](): AsyncIterator<ReceivedPacket> {
    return {
      next: () => {
        const head = this.#queue.shift();
        if (head) return Promise.resolve({ value: head, done: false });
        if (this.#failure) return Promise.reject(this.#failure);
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.#waiter = resolve;
          this.#failWaiter = reject;
        });
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }

  /**
   * Closes the helper's stdin (it exits), waits for it to end, and kills it by PID after `timeoutMs` (default 2000).
   * @returns its exit code, or the signal name.
   */
  async close(timeoutMs = 2000): Promise<number | string> {
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#kill(), timeoutMs);
    const status = await this.#exited;
    clearTimeout(timer);
    return status;
  }

  #onFrame(f: Frame): void {
    if (f.type === FRAME_RECV) {
      let packet: ReceivedPacket;
      try {
        packet = decodeRecvPayload(f.payload);
      } catch (e) {
        this.#errors++;
        this.#onError?.(String(e));
        return;
      }
      if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = null;
        this.#failWaiter = null;
        w({ value: packet, done: false });
      } else {
        if (this.#queue.length >= this.#maxQueued) {
          this.#queue.shift();
          this.#dropped++;
        }
        this.#queue.push(packet);
      }
    } else if (f.type === FRAME_CAPTURED) {
      const deliver = this.#onCapture;
      if (deliver === null) return;
      try {
        const packet = decodeCapturedPayload(f.payload);
        this.#captured++;
        deliver(packet);
      } catch (e) {
        this.#errors++;
        this.#onError?.(String(e));
      }
    } else if (f.type === FRAME_CAPTURE_STATE) {
      try {
        decodeCaptureStatePayload(f.payload);
        this.#captureWaiters.shift()?.resolve();
      } catch (e) {
        this.#captureWaiters.shift()?.reject(e as Error);
      }
    } else if (f.type === FRAME_ERROR) {
      this.#errors++;
      const line = decodeErrorPayload(f.payload);
      // Each CAPTURE_START / CAPTURE_STOP draws exactly one CAPTURE_STATE or one `capture ...` ERROR, in order.
      const waiter = line.startsWith("capture ") ? this.#captureWaiters.shift() : undefined;
      if (waiter !== undefined) {
        this.#onCapture = null;
        waiter.reject(new HelperCaptureError(line));
      } else this.#onError?.(line);
    }
  }

  #fail(e: ProbeHelperError): void {
    this.#failure = e;
    this.#kill();
    const r = this.#failWaiter;
    this.#waiter = null;
    this.#failWaiter = null;
    r?.(e);
  }

  /** SIGKILL by PID while the helper still runs (it may end meanwhile: ESRCH is fine). */
  #kill(): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  #end(): void {
    this.#ended = true;
    this.#onCapture = null;
    for (const w of this.#captureWaiters.splice(0)) w.reject(new HelperClosedError());
    const w = this.#waiter;
    this.#waiter = null;
    this.#failWaiter = null;
    w?.({ value: undefined, done: true });
  }
}
