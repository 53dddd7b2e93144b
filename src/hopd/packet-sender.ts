/**
 * Sends whole IPv4 packets (the ERSPAN encapsulations) through the privileged probe helper's raw socket
 * (`native/flowlens-probe`, docs/probe-helper.md: SEND frame, IP_HDRINCL). The helper starts on first use and its
 * receive side (ICMP errors and TCP segments it also reads) is drained and discarded. Send failures come back as the
 * helper's ERROR lines and are counted, never thrown.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULT_HELPER_PATH, ProbeHelper } from "../probe/helper/probe-helper.ts";
import { HopdError } from "./errors.ts";

/** Where packets go. */
export interface PacketSender {
  /** Sends one IPv4 packet (header included). */
  send(packet: Uint8Array): void;
  /** Non-fatal send errors so far. */
  readonly errors: number;
  /** False once the sender can no longer send (the helper exited); a new one must be started. */
  readonly alive: boolean;
  close(): Promise<void>;
}

/**
 * The helper binary: `explicit` when given, else the build next to the sources, else next to the `flowlens` command
 * that started this process (`bin/../native/build/flowlens-probe`, for the bundled `dist/`).
 */
export function resolveHelperPath(explicit?: string): string {
  if (explicit !== undefined) return explicit;
  if (existsSync(DEFAULT_HELPER_PATH)) return DEFAULT_HELPER_PATH;
  const bin = process.argv[1];
  if (bin !== undefined) {
    const beside = fileURLToPath(new URL("../native/build/flowlens-probe", `file://${bin}`));
    if (existsSync(beside)) return beside;
  }
  return DEFAULT_HELPER_PATH;
}

/** A {@link PacketSender} on the probe helper. */
export class HelperPacketSender implements PacketSender {
  #errors = 0;
  #alive = true;
  readonly #helper: ProbeHelper;

  private constructor(helper: ProbeHelper) {
    this.#helper = helper;
    // Nobody needs what the helper receives: read and drop it so its queue never fills.
    void (async () => {
      try {
        for await (const _ of helper) {
          // discard
        }
      } catch {
        // The helper died; sends then fail with HelperClosedError and are counted.
      }
      this.#alive = false;
    })();
  }

  /**
   * Starts the helper.
   * @throws HopdError `ERR_HOPD_MIRROR` when the helper is missing or lacks CAP_NET_RAW.
   */
  static async start(helperPath?: string, onError?: (line: string) => void): Promise<HelperPacketSender> {
    let sender: HelperPacketSender | null = null;
    try {
      const helper = await ProbeHelper.start({
        helperPath: resolveHelperPath(helperPath),
        onError: (line) => {
          if (sender !== null) sender.#errors++;
          onError?.(line);
        },
      });
      sender = new HelperPacketSender(helper);
      return sender;
    } catch (e) {
      throw new HopdError("ERR_HOPD_MIRROR", `cannot send mirrored packets: ${(e as Error).message}`, {
        cause: e,
        statusCode: 500,
      });
    }
  }

  send(packet: Uint8Array): void {
    try {
      this.#helper.send(packet);
    } catch {
      this.#errors++;
    }
  }

  get errors(): number {
    return this.#errors;
  }

  get alive(): boolean {
    return this.#alive;
  }

  async close(): Promise<void> {
    await this.#helper.close();
  }
}
