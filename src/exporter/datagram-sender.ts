/**
 * UDP export to cflowd hosts: one socket per host ({@link UdpTarget}, bound to the host's `source-address` when given,
 * the host name resolved once when opened), and one send queue for all of them ({@link DatagramSender}) with a token
 * bucket, so that a burst (a capture replayed at full speed, a drain at shutdown) does not overrun a local receiver's
 * socket buffer. Send failures are counted per target and reported to `onError`; they never stop the exporter.
 */
import { createSocket, type Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { RuntimeError } from "../runtime/errors.ts";

/** A cflowd host's address could not be resolved or its socket bound. Code `ERR_EXPORT_TARGET`. */
export class ExportTargetError extends RuntimeError {
  constructor(message: string, cause?: unknown) {
    super("ERR_EXPORT_TARGET", message, { cause });
  }
}

/** Where one host's datagrams go. */
export interface UdpTargetOptions {
  /** Address or host name of the cflowd host. */
  host: string;
  /** UDP port, 1..65535. */
  port: number;
  /** IPv4 address to bind the socket to (`source-address`); default the kernel's choice. */
  sourceAddress?: string;
}

/** An open UDP socket aimed at one cflowd host. */
export class UdpTarget {
  /** The resolved destination address. */
  readonly address: string;
  /** The destination port. */
  readonly port: number;
  /** Send failures on this target. */
  errors = 0;
  readonly #socket: Socket;

  private constructor(socket: Socket, address: string, port: number) {
    this.#socket = socket;
    this.address = address;
    this.port = port;
  }

  /**
   * Resolves the host (IPv4 when a source address is given) and opens a socket, bound to the source address if any.
   * @throws ExportTargetError `ERR_EXPORT_TARGET` when the name does not resolve or the bind fails.
   */
  static async open(o: UdpTargetOptions, onSocketError: (e: Error) => void): Promise<UdpTarget> {
    let address = o.host;
    let family = isIP(o.host);
    if (family === 0) {
      try {
        const found = await lookup(o.host, { family: o.sourceAddress === undefined ? 0 : 4 });
        address = found.address;
        family = found.family;
      } catch (e) {
        throw new ExportTargetError(`cflowd host ${o.host} does not resolve (${(e as { code?: string }).code})`, e);
      }
    }
    if (o.sourceAddress !== undefined && family !== 4) {
      throw new ExportTargetError(`cflowd host ${o.host} is not IPv4, but source-address ${o.sourceAddress} is`);
    }
    const socket = createSocket(family === 6 ? "udp6" : "udp4");
    socket.on("error", onSocketError);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind({ address: o.sourceAddress, port: 0, exclusive: true }, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      socket.close();
      const code = (e as { code?: string }).code ?? "error";
      throw new ExportTargetError(`cannot bind source-address ${o.sourceAddress ?? "(any)"} (${code})`, e);
    }
    return new UdpTarget(socket, address, o.port);
  }

  /** Sends one datagram; `done` gets the error, if any. */
  send(bytes: Uint8Array, done: (e: Error | null) => void): void {
    this.#socket.send(bytes, this.port, this.address, done);
  }

  /** The local address the socket is bound to (`address:port`). */
  get local(): string {
    const a = this.#socket.address();
    return `${a.address}:${a.port}`;
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/** Settings of a {@link DatagramSender}. */
export interface DatagramSenderOptions {
  /** Most datagrams sent per second over all targets; 0 = no limit (default 10 000). */
  ratePerSecond?: number;
  /** Datagrams that may go at once after an idle spell (default 32). */
  burst?: number;
  /** Called for each failed send, after the target's count is increased. */
  onError?: (target: UdpTarget, error: Error) => void;
}

interface Waiter {
  below: number;
  resolve: () => void;
}

/** A rate-limited first-in first-out send queue over any number of {@link UdpTarget}s. */
export class DatagramSender {
  /** Datagrams handed to the kernel. */
  sent = 0;
  readonly #rate: number;
  readonly #burst: number;
  readonly #onError: ((target: UdpTarget, error: Error) => void) | undefined;
  #targets: UdpTarget[] = [];
  #bytes: Uint8Array[] = [];
  #head = 0;
  #inflight = 0;
  #tokens: number;
  #last = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #waiters: Waiter[] = [];

  constructor(o: DatagramSenderOptions = {}) {
    this.#rate = o.ratePerSecond ?? 10_000;
    this.#burst = Math.max(1, o.burst ?? 32);
    this.#tokens = this.#burst;
    this.#onError = o.onError;
  }

  /** Datagrams queued or handed to the socket and not yet confirmed. */
  get backlog(): number {
    return this.#bytes.length - this.#head + this.#inflight;
  }

  /** Queues one datagram for `target`. */
  add(target: UdpTarget, bytes: Uint8Array): void {
    this.#targets.push(target);
    this.#bytes.push(bytes);
    if (this.#timer === undefined) this.#pump();
  }

  /** Resolves when the backlog is at most `n` datagrams. */
  whenBelow(n: number): Promise<void> {
    if (this.backlog <= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ below: n, resolve }));
  }

  /** Resolves when every queued datagram has been sent (or has failed). */
  drain(): Promise<void> {
    return this.whenBelow(0);
  }

  /** Stops the pump; queued datagrams are dropped (for an abandoned shutdown). */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#targets = [];
    this.#bytes = [];
    this.#head = 0;
    this.#wake();
  }

  #pump = (): void => {
    this.#timer = undefined;
    if (this.#rate > 0) {
      const now = performance.now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
      this.#last = now;
    }
    while (this.#head < this.#bytes.length && (this.#rate === 0 || this.#tokens >= 1)) {
      const target = this.#targets[this.#head];
      const bytes = this.#bytes[this.#head];
      this.#head++;
      this.#tokens--;
      this.#inflight++;
      target.send(bytes, (e) => this.#done(target, e));
    }
    if (this.#head === this.#bytes.length) {
      this.#targets = [];
      this.#bytes = [];
      this.#head = 0;
    } else {
      const wait = Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.#rate));
      this.#timer = setTimeout(this.#pump, wait);
    }
  };

  #done(target: UdpTarget, e: Error | null): void {
    this.#inflight--;
    if (e === null) this.sent++;
    else {
      target.errors++;
      this.#onError?.(target, e);
    }
    this.#wake();
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const backlog = this.backlog;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (backlog <= w.below) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }
}
