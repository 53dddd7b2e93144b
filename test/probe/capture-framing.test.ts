/**
 * The capture frames of the helper protocol (docs/probe-helper.md, "Capture"): CAPTURE_START's layout and limits,
 * CAPTURED round trips (fast-check) and short payloads, CAPTURE_STATE, and READY's capture flag (bit 1) next to the
 * unchanged TCP flag (bit 0).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HelperFrameError } from "../../src/probe/helper/errors.ts";
import {
  CAPTURED_PREFIX_LENGTH,
  FRAME_CAPTURED,
  FRAME_CAPTURE_START,
  FRAME_MAX_LENGTH,
  FRAME_MAX_PACKET,
  FrameDecoder,
  decodeCaptureStatePayload,
  decodeCapturedPayload,
  decodeReadyPayload,
  encodeCaptureStartPayload,
  encodeCapturedPayload,
  encodeFrame,
} from "../../src/probe/helper/framing.ts";

describe("capture frames", () => {
  it("CAPTURE_START: port and snap length big-endian, then the interface name", () => {
    assert.deepEqual(
      [...encodeCaptureStartPayload({ udpDstPort: 4789, snapLength: 256, ifname: "eth0" })],
      [0x12, 0xb5, 0x01, 0x00, 0x65, 0x74, 0x68, 0x30],
    );
    assert.deepEqual([...encodeCaptureStartPayload({ udpDstPort: 0, snapLength: 0, ifname: "" })], [0, 0, 0, 0]);
    const frame = encodeFrame(
      FRAME_CAPTURE_START,
      encodeCaptureStartPayload({ udpDstPort: 1, snapLength: 2, ifname: "" }),
    );
    assert.deepEqual([...frame], [0, 0, 0, 5, 0x05, 0, 1, 0, 2]);
  });

  it("CAPTURE_START refuses a port or snap length out of range and a name over 15 bytes", () => {
    assert.throws(() => encodeCaptureStartPayload({ udpDstPort: 65536, snapLength: 0, ifname: "" }), RangeError);
    assert.throws(() => encodeCaptureStartPayload({ udpDstPort: 1, snapLength: -1, ifname: "" }), RangeError);
    assert.throws(
      () => encodeCaptureStartPayload({ udpDstPort: 1, snapLength: 0, ifname: "a".repeat(16) }),
      RangeError,
    );
    assert.throws(() => encodeCaptureStartPayload({ udpDstPort: 1, snapLength: 0, ifname: "a\0b" }), RangeError);
    assert.equal(encodeCaptureStartPayload({ udpDstPort: 1, snapLength: 0, ifname: "a".repeat(15) }).length, 19);
  });

  it("CAPTURED round-trips time, interface, packet type, original length and bytes, also through the frame decoder", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 300 }),
        (capturedAtNs, ifindex, packetType, originalLength, bytes) => {
          const packet = { capturedAtNs, ifindex, packetType, originalLength, bytes };
          const payload = encodeCapturedPayload(packet);
          assert.equal(payload.length, CAPTURED_PREFIX_LENGTH + bytes.length);
          assert.deepEqual(decodeCapturedPayload(payload), packet);
          const [frame] = new FrameDecoder().push(encodeFrame(FRAME_CAPTURED, payload));
          assert.equal(frame?.type, FRAME_CAPTURED);
          assert.deepEqual(decodeCapturedPayload(frame!.payload), packet);
        },
      ),
    );
  });

  it("the largest CAPTURED frame the helper writes fits the unchanged frame length limit", () => {
    const biggest = FRAME_MAX_PACKET - (CAPTURED_PREFIX_LENGTH - 12);
    assert.equal(1 + CAPTURED_PREFIX_LENGTH + biggest, FRAME_MAX_LENGTH);
  });

  it("a CAPTURED payload shorter than its prefix or with nanoseconds ≥ 1e9 is a HelperFrameError", () => {
    assert.throws(() => decodeCapturedPayload(new Uint8Array(18)), HelperFrameError);
    const bad = new Uint8Array(CAPTURED_PREFIX_LENGTH);
    new DataView(bad.buffer).setUint32(8, 1_000_000_000);
    assert.throws(() => decodeCapturedPayload(bad), { code: "ERR_PROBE_HELPER_FRAME" });
  });

  it("CAPTURE_STATE and READY's capture flag", () => {
    assert.equal(decodeCaptureStatePayload(Uint8Array.of(1)), true);
    assert.equal(decodeCaptureStatePayload(Uint8Array.of(0)), false);
    assert.throws(() => decodeCaptureStatePayload(new Uint8Array(0)), HelperFrameError);
    assert.deepEqual(decodeReadyPayload(Uint8Array.of(1, 3)), { version: 1, tcpAnswers: true, capture: true });
    assert.deepEqual(decodeReadyPayload(Uint8Array.of(1, 1)), { version: 1, tcpAnswers: true, capture: false });
    assert.deepEqual(decodeReadyPayload(Uint8Array.of(1, 2)), { version: 1, tcpAnswers: false, capture: true });
  });
});
