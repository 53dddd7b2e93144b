/**
 * The framed protocol between Node and the probe helper `native/flowlens-probe` (docs/probe-helper.md):
 * `length (u32 BE, counts type + payload, 1..FRAME_MAX_LENGTH) | type (u8) | payload`. Pure: no I/O.
 */
import { HelperFrameError } from "./errors.ts";

/** Bytes of the length prefix. */
export const FRAME_LENGTH_PREFIX = 4;
/** Largest IPv4 packet carried in SEND or RECV, bytes. */
export const FRAME_MAX_PACKET = 65535;
/** Bytes of the RECV timestamp before the packet: seconds (u64 BE) and nanoseconds (u32 BE). */
export const RECV_TIMESTAMP_LENGTH = 12;
/** Largest value of the length field: type byte + RECV timestamp + largest packet. */
export const FRAME_MAX_LENGTH = 1 + RECV_TIMESTAMP_LENGTH + FRAME_MAX_PACKET;

/** Frame types. */
export const FRAME_READY = 0x01;
/** Node to helper: one whole IPv4 packet to send with IP_HDRINCL. */
export const FRAME_SEND = 0x02;
/** Helper to Node: a received packet with its kernel timestamp. */
export const FRAME_RECV = 0x03;
/** Helper to Node: one line of error text, `<where> <ERRNO_NAME>: <message>`. */
export const FRAME_ERROR = 0x04;
/** Node to helper: start (or restart) the AF_PACKET capture of UDP to one port (see {@link encodeCaptureStartPayload}). */
export const FRAME_CAPTURE_START = 0x05;
/** Helper to Node: one captured IPv4 packet (see {@link decodeCapturedPayload}). */
export const FRAME_CAPTURED = 0x06;
/** Node to helper: stop the capture (empty payload). */
export const FRAME_CAPTURE_STOP = 0x07;
/** Helper to Node: 1 byte, 1 = capturing (answers CAPTURE_START), 0 = stopped (answers CAPTURE_STOP). */
export const FRAME_CAPTURE_STATE = 0x08;
/** Bytes before the packet in CAPTURED: seconds (u64), nanoseconds (u32), ifindex (u32), packet type (u8), length (u16). */
export const CAPTURED_PREFIX_LENGTH = 19;
/** Longest interface name CAPTURE_START carries (Linux IFNAMSIZ - 1), bytes. */
export const CAPTURE_IFNAME_MAX = 15;

/** One frame: its type and payload (a copy, safe to keep). */
export interface Frame {
  type: number;
  payload: Uint8Array;
}

/** READY payload: protocol version, whether a raw TCP socket is open for TCP answers, and whether capture works. */
export interface ReadyInfo {
  version: number;
  tcpAnswers: boolean;
  /** Flag bit 1: the helper holds an AF_PACKET socket, so CAPTURE_START can work (false from older helpers). */
  capture: boolean;
}

/** What CAPTURE_START asks for. */
export interface CaptureRequest {
  /** UDP destination port to capture, 0..65535 (0: every UDP datagram). */
  udpDstPort: number;
  /** Bytes kept of each packet from its IPv4 header on, 0..65535 (0: the whole packet, up to 65528). */
  snapLength: number;
  /** Interface to capture on (at most 15 bytes); empty: every interface of the helper's namespace. */
  ifname: string;
}

/** Linux packet types (`sll_pkttype`) of a captured packet. */
export const PACKET_HOST = 0;
/** Broadcast to the host. */
export const PACKET_BROADCAST = 1;
/** Multicast to the host. */
export const PACKET_MULTICAST = 2;
/** Addressed to another host (promiscuous). */
export const PACKET_OTHERHOST = 3;
/** Sent by this host. */
export const PACKET_OUTGOING = 4;

/** One captured packet: the IPv4 packet (cut at the snap length), its kernel time, interface and direction. */
export interface CapturedPacket {
  /** The IPv4 packet from its header on, at most the snap length. */
  bytes: Uint8Array;
  /** The packet's length before the cut, bytes (65535 at most). */
  originalLength: number;
  /** Kernel receive (or transmit) time, epoch nanoseconds. */
  capturedAtNs: bigint;
  /** Interface index in the helper's namespace. */
  ifindex: number;
  /** `PACKET_HOST`, `PACKET_OUTGOING`, ... */
  packetType: number;
}

/** A packet the helper received: the IPv4 packet (header included) and the kernel receive time, epoch nanoseconds. */
export interface ReceivedPacket {
  bytes: Uint8Array;
  receivedAtNs: bigint;
}

/** Encodes one frame. @throws HelperFrameError when the payload is longer than FRAME_MAX_LENGTH - 1. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  if (payload.length + 1 > FRAME_MAX_LENGTH) {
    throw new HelperFrameError(`frame payload ${payload.length} bytes too long`, 0);
  }
  const out = new Uint8Array(FRAME_LENGTH_PREFIX + 1 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + 1);
  out[FRAME_LENGTH_PREFIX] = type & 0xff;
  out.set(payload, FRAME_LENGTH_PREFIX + 1);
  return out;
}

/** Encodes a RECV payload (tests and simulators use this; the helper writes the same bytes). */
export function encodeRecvPayload(packet: ReceivedPacket): Uint8Array {
  const out = new Uint8Array(RECV_TIMESTAMP_LENGTH + packet.bytes.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, packet.receivedAtNs / 1_000_000_000n);
  view.setUint32(8, Number(packet.receivedAtNs % 1_000_000_000n));
  out.set(packet.bytes, RECV_TIMESTAMP_LENGTH);
  return out;
}

/** Decodes a RECV payload. @throws HelperFrameError when shorter than the timestamp or nanoseconds ≥ 1e9. */
export function decodeRecvPayload(payload: Uint8Array): ReceivedPacket {
  if (payload.length < RECV_TIMESTAMP_LENGTH) {
    throw new HelperFrameError(`RECV payload ${payload.length} bytes, shorter than its timestamp`, payload.length);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const nsec = view.getUint32(8);
  if (nsec >= 1_000_000_000) throw new HelperFrameError(`RECV nanoseconds ${nsec} out of range`, 8);
  const receivedAtNs = view.getBigUint64(0) * 1_000_000_000n + BigInt(nsec);
  return { bytes: payload.slice(RECV_TIMESTAMP_LENGTH), receivedAtNs };
}

/** Decodes a READY payload. @throws HelperFrameError when shorter than 2 bytes. */
export function decodeReadyPayload(payload: Uint8Array): ReadyInfo {
  if (payload.length < 2) throw new HelperFrameError(`READY payload ${payload.length} bytes, need 2`, payload.length);
  return { version: payload[0], tcpAnswers: (payload[1] & 1) !== 0, capture: (payload[1] & 2) !== 0 };
}

/** Encodes a CAPTURE_START payload. @throws RangeError for a port or snap length outside 0..65535, a name over 15 bytes. */
export function encodeCaptureStartPayload(request: CaptureRequest): Uint8Array {
  const u16 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff;
  if (!u16(request.udpDstPort)) throw new RangeError(`capture UDP port ${request.udpDstPort} outside 0..65535`);
  if (!u16(request.snapLength)) throw new RangeError(`capture snap length ${request.snapLength} outside 0..65535`);
  const name = new TextEncoder().encode(request.ifname);
  if (name.length > CAPTURE_IFNAME_MAX || name.includes(0)) {
    throw new RangeError(
      `capture interface name "${request.ifname}" longer than ${CAPTURE_IFNAME_MAX} bytes or with NUL`,
    );
  }
  const out = new Uint8Array(4 + name.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, request.udpDstPort);
  view.setUint16(2, request.snapLength);
  out.set(name, 4);
  return out;
}

/** Encodes a CAPTURED payload (tests and simulators; the helper writes the same bytes). */
export function encodeCapturedPayload(packet: CapturedPacket): Uint8Array {
  const out = new Uint8Array(CAPTURED_PREFIX_LENGTH + packet.bytes.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, packet.capturedAtNs / 1_000_000_000n);
  view.setUint32(8, Number(packet.capturedAtNs % 1_000_000_000n));
  view.setUint32(12, packet.ifindex);
  view.setUint8(16, packet.packetType);
  view.setUint16(17, packet.originalLength);
  out.set(packet.bytes, CAPTURED_PREFIX_LENGTH);
  return out;
}

/** Decodes a CAPTURED payload. @throws HelperFrameError when shorter than its prefix or nanoseconds ≥ 1e9. */
export function decodeCapturedPayload(payload: Uint8Array): CapturedPacket {
  if (payload.length < CAPTURED_PREFIX_LENGTH) {
    throw new HelperFrameError(`CAPTURED payload ${payload.length} bytes, shorter than its prefix`, payload.length);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const nsec = view.getUint32(8);
  if (nsec >= 1_000_000_000) throw new HelperFrameError(`CAPTURED nanoseconds ${nsec} out of range`, 8);
  return {
    capturedAtNs: view.getBigUint64(0) * 1_000_000_000n + BigInt(nsec),
    ifindex: view.getUint32(12),
    packetType: view.getUint8(16),
    originalLength: view.getUint16(17),
    bytes: payload.slice(CAPTURED_PREFIX_LENGTH),
  };
}

/** Decodes a CAPTURE_STATE payload: true when capturing. @throws HelperFrameError when empty. */
export function decodeCaptureStatePayload(payload: Uint8Array): boolean {
  if (payload.length < 1) throw new HelperFrameError("CAPTURE_STATE payload empty", 0);
  return payload[0] === 1;
}

/** Decodes an ERROR payload: UTF-8 text, one line. */
export function decodeErrorPayload(payload: Uint8Array): string {
  return new TextDecoder().decode(payload).replace(/[\r\n]+/g, " ");
}

/**
 * Incremental parser of the framed stream: feed chunks as they arrive, get back every frame they complete. After a
 * length out of range it throws and stays failed (the stream cannot be resynchronised).
 */
export class FrameDecoder {
  #buffer = new Uint8Array(0);
  #consumed = 0;
  #failed: HelperFrameError | null = null;

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Appends `chunk` and returns the frames it completes. @throws HelperFrameError on a bad length. */
  push(chunk: Uint8Array): Frame[] {
    if (this.#failed) throw this.#failed;
    const buf = this.#buffer.length === 0 ? chunk : concat(this.#buffer, chunk);
    const frames: Frame[] = [];
    let at = 0;
    while (buf.length - at >= FRAME_LENGTH_PREFIX) {
      const len = ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
      if (len < 1 || len > FRAME_MAX_LENGTH) {
        this.#failed = new HelperFrameError(
          `frame length ${len} out of range 1..${FRAME_MAX_LENGTH}`,
          this.#consumed + at,
        );
        throw this.#failed;
      }
      if (buf.length - at - FRAME_LENGTH_PREFIX < len) break;
      const start = at + FRAME_LENGTH_PREFIX;
      frames.push({ type: buf[start], payload: buf.slice(start + 1, start + len) });
      at = start + len;
    }
    this.#consumed += at;
    this.#buffer = buf.slice(at);
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
