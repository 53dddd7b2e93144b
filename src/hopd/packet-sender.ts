/**
 * Where hopd's mirrored packets go: whole IPv4 packets (the ERSPAN encapsulations, header included) handed to a raw
 * sender. hopd does not build the sender itself (src/hopd may import only `wire` and `runtime`, DESIGN.md): `flowlens
 * hopd` injects one on the probe helper's raw socket (src/cli/hopd/helper-sender.ts), tests inject fakes.
 */

/** Sends whole IPv4 packets. */
export interface PacketSender {
  /** Sends one IPv4 packet (header included); failures are counted in {@link PacketSender.errors}, never thrown. */
  send(packet: Uint8Array): void;
  /** Non-fatal send errors so far. */
  readonly errors: number;
  /** False once the sender can no longer send (the helper exited); a new one must be started. */
  readonly alive: boolean;
  close(): Promise<void>;
}

/**
 * Starts a {@link PacketSender} (on the first mirror session, and again after one died); `onSendError` gets each
 * send failure's one-line reason, for hopd's log.
 */
export type PacketSenderFactory = (onSendError: (line: string) => void) => Promise<PacketSender>;
