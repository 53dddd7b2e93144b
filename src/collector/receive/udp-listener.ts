/**
 * The UDP sockets of one collector interface (`listen` in config.ts): one `node:dgram` socket per listen address,
 * `udp4` or `udp6` by the address (`[::]` binds IPv6 only, so `0.0.0.0` and `[::]` can share a port), each with the
 * configured receive buffer (SO_RCVBUF). The size the kernel granted is read back and reported as it says: Linux
 * doubles the request for its bookkeeping and caps it at twice `net.core.rmem_max`. Every datagram is handed on as
 * `{ source, receivedAt, bytes }`; socket errors after binding are logged (rate-limited) and never fatal.
 */
import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import type { RateLimitedLog } from "../../runtime/rate-limited-log.ts";
import type { Clock } from "../contracts.ts";
import type { ReceivedDatagram } from "./datagram-pipeline.ts";
import type { ListenerStatus } from "./receiver-status.ts";

/** A parsed listen address. */
export interface ListenAddress {
  /** Address or host name to bind (`0.0.0.0` for `:port`). */
  host: string;
  /** UDP port, 0..65535 (0: the kernel picks one). */
  port: number;
  type: "udp4" | "udp6";
}

/** A listen address could not be parsed or bound. */
export class ListenError extends Error {
  /** `ERR_COLLECTOR_LISTEN`. */
  readonly code = "ERR_COLLECTOR_LISTEN";
  /** The listen address as configured. */
  readonly address: string;

  constructor(address: string, message: string, cause?: unknown) {
    super(`cannot listen on ${address}: ${message}`, { cause });
    this.name = "ListenError";
    this.address = address;
  }
}

/**
 * Parses `host:port`, `[ipv6]:port` or `:port` (every IPv4 address); a bracketed address is udp6, anything else udp4
 * (a host name is resolved as IPv4 when binding).
 * @throws ListenError for text of another form or a port outside 0..65535.
 */
export function parseListenAddress(text: string): ListenAddress {
  const colon = text.lastIndexOf(":");
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (colon < 0 || !/^\d{1,5}$/.test(portText) || port > 65535) throw new ListenError(text, "expected host:port");
  const host = text.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) {
    const v6 = host.slice(1, -1);
    if (isIP(v6) !== 6) throw new ListenError(text, "not an IPv6 address in brackets");
    return { host: v6, port, type: "udp6" };
  }
  if (host.includes(":") || host.includes("[")) throw new ListenError(text, "IPv6 addresses go in brackets");
  return { host: host === "" ? "0.0.0.0" : host, port, type: "udp4" };
}

/** Options of {@link UdpListener.open}. */
export interface UdpListenerOptions {
  /** Listen addresses (`127.0.0.1:2055`, `[::1]:2055`, `:2055`). */
  readonly listen: readonly string[];
  /** Receive buffer to request per socket, bytes. */
  readonly receiveBuffer: number;
  /** Called synchronously for every datagram (e.g. `DatagramPipeline.process`); exceptions are caught and logged. */
  readonly onDatagram: (datagram: ReceivedDatagram) => void;
  /** Time of reception; default `Date.now`. */
  readonly clock?: Clock;
  /** Rate-limited log of socket errors and of a receive buffer granted below the request. */
  readonly log?: RateLimitedLog;
  /**
   * Bind exclusively (default true). False only in the receiver workers of `scale-out.processes` (node:cluster): the
   * primary process then owns one socket per address and shares its handle with every worker binding the same
   * address, so the workers read from that one socket and each datagram goes to one of them. Outside a cluster worker
   * the flag changes nothing; with true a second worker binding the address gets `EADDRINUSE`.
   */
  readonly exclusive?: boolean;
}

function formatAddress(socket: Socket): string {
  const a = socket.address();
  return a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function bind(socket: Socket, where: ListenAddress, text: string, exclusive: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      socket.off("listening", onListening);
      reject(new ListenError(text, e.message, e));
    };
    const onListening = () => {
      socket.off("error", onError);
      resolve();
    };
    socket.once("error", onError);
    socket.once("listening", onListening);
    socket.bind({ port: where.port, address: where.host, exclusive });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** The bound sockets of one collector interface. */
export class UdpListener {
  /** Each socket's bound address (with the port the kernel picked for port 0) and granted receive buffer, bytes. */
  readonly listeners: readonly ListenerStatus[];
  private readonly sockets: readonly Socket[];
  private closed = false;

  private constructor(sockets: Socket[], listeners: ListenerStatus[]) {
    this.sockets = sockets;
    this.listeners = Object.freeze(listeners);
  }

  /**
   * Binds every listen address and starts handing datagrams to `onDatagram`.
   * @throws ListenError (after closing what was bound) when an address cannot be parsed or bound.
   */
  static async open(options: UdpListenerOptions): Promise<UdpListener> {
    const sockets: Socket[] = [];
    const listeners: ListenerStatus[] = [];
    try {
      for (const text of options.listen) {
        const where = parseListenAddress(text);
        const socket = createSocket({ type: where.type, ipv6Only: where.type === "udp6" && isAnyV6(where.host) });
        sockets.push(socket);
        await bind(socket, where, text, options.exclusive ?? true);
        const address = formatAddress(socket);
        const receiveBuffer = setReceiveBuffer(socket, options.receiveBuffer, address, options.log);
        listeners.push({ address, receiveBuffer });
        attach(socket, address, options);
      }
    } catch (e) {
      await Promise.all(sockets.map(closeSocket));
      throw e;
    }
    return new UdpListener(sockets, listeners);
  }

  /** Closes every socket (idempotent); no datagram is handed on after the promise resolves. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.sockets.map(closeSocket));
  }
}

/** Whether `host` is the IPv6 unspecified address (`::`, `0:0:0:0:0:0:0:0`...). */
function isAnyV6(host: string): boolean {
  return new URL(`http://[${host}]/`).hostname === "[::]";
}

/** Requests `bytes` of receive buffer and returns what the kernel reports it granted. */
function setReceiveBuffer(socket: Socket, bytes: number, address: string, log: RateLimitedLog | undefined): number {
  try {
    socket.setRecvBufferSize(bytes);
  } catch (e) {
    log?.warn("ERR_COLLECTOR_RECEIVE_BUFFER", `cannot set the receive buffer of ${address}: ${(e as Error).message}`);
  }
  const granted = socket.getRecvBufferSize();
  if (granted < bytes) {
    log?.warn(
      "ERR_COLLECTOR_RECEIVE_BUFFER",
      `receive buffer of ${address}: ${granted} bytes granted, ${bytes} requested (raise net.core.rmem_max)`,
      { address, granted, requested: bytes },
    );
  }
  return granted;
}

function attach(socket: Socket, address: string, options: UdpListenerOptions): void {
  const clock = options.clock ?? Date.now;
  const deliver = options.onDatagram;
  const log = options.log;
  socket.on("message", (bytes, rinfo) => {
    try {
      deliver({ source: rinfo, receivedAt: clock(), bytes });
    } catch (e) {
      log?.error("ERR_COLLECTOR_RECEIVE", `datagram on ${address} not processed: ${(e as Error).message}`);
    }
  });
  socket.on("error", (e: NodeJS.ErrnoException) => {
    log?.error(e.code ?? "ERR_COLLECTOR_SOCKET", `socket ${address}: ${e.message}`, { address });
  });
}
