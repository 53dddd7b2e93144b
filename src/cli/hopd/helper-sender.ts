/**
 * hopd's mirror packet sender on the privileged probe helper (`native/flowlens-probe`, docs/probe-helper.md: SEND
 * frame, IP_HDRINCL): whole IPv4 packets (the ERSPAN encapsulations) go out through the helper's raw socket. The helper
 * starts on first use and its receive side (ICMP errors and TCP segments it also reads) is drained and discarded. Send
 * failures come back as the helper's ERROR lines and are counted, never thrown.
 * It lives in src/cli because src/hopd may not import src/probe (DESIGN.md's boundaries): hopd takes a
 * {@link PacketSender} factory and `flowlens hopd` gives it this one.
 */
import { HopdError } from "../../hopd/errors.ts";
import type { PacketSender } from "../../hopd/packet-sender.ts";
import { DEFAULT_HELPER_PATH, ProbeHelper } from "../../probe/helper/probe-helper.ts";

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
   * Starts the helper (`helperPath`, default {@link DEFAULT_HELPER_PATH}: found from the sources and from the bundle); `onError` gets each ERROR line.
   * @throws HopdError `ERR_HOPD_MIRROR` when the helper is missing or lacks CAP_NET_RAW.
   */
  static async start(helperPath?: string, onError?: (line: string) => void): Promise<HelperPacketSender> {
    let sender: HelperPacketSender | null = null;
    try {
      const helper = await ProbeHelper.start({
        helperPath: helperPath ?? DEFAULT_HELPER_PATH,
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
