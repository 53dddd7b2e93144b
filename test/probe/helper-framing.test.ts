import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HelperFrameError } from "../../src/probe/helper/errors.ts";
import {
  FRAME_ERROR,
  FRAME_MAX_LENGTH,
  FRAME_READY,
  FRAME_RECV,
  FRAME_SEND,
  FrameDecoder,
  decodeErrorPayload,
  decodeReadyPayload,
  decodeRecvPayload,
  encodeFrame,
  encodeRecvPayload,
} from "../../src/probe/helper/framing.ts";

const frameArb = fc.record({
  type: fc.constantFrom(FRAME_READY, FRAME_SEND, FRAME_RECV, FRAME_ERROR, 0x7f),
  payload: fc.uint8Array({ maxLength: 300 }),
});

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe("probe helper framing", () => {
  it("encodes the documented layout: u32 BE length counting type and payload, then type, then payload", () => {
    assert.deepEqual([...encodeFrame(FRAME_SEND, Uint8Array.of(0xaa, 0xbb))], [0, 0, 0, 3, 2, 0xaa, 0xbb]);
    assert.deepEqual([...encodeFrame(FRAME_READY, new Uint8Array(0))], [0, 0, 0, 1, 1]);
  });

  it("round-trips any sequence of frames fed in arbitrary chunks", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.payload)));
        const decoder = new FrameDecoder();
        const got = chunked(new Uint8Array(stream), cuts).flatMap((c) => decoder.push(c));
        assert.deepEqual(
          got.map((f) => ({ type: f.type, payload: [...f.payload] })),
          frames.map((f) => ({ type: f.type, payload: [...f.payload] })),
        );
        assert.equal(decoder.pending, 0);
      }),
    );
  });

  it("holds a partial frame until its last byte arrives", () => {
    const bytes = encodeFrame(FRAME_ERROR, new TextEncoder().encode("send EPERM: no"));
    const decoder = new FrameDecoder();
    for (let i = 0; i < bytes.length - 1; i++) assert.deepEqual(decoder.push(bytes.subarray(i, i + 1)), []);
    const [frame] = decoder.push(bytes.subarray(bytes.length - 1));
    assert.equal(decodeErrorPayload(frame.payload), "send EPERM: no");
  });

  it("rejects a length out of range, with its stream offset, and stays failed", () => {
    const decoder = new FrameDecoder();
    decoder.push(encodeFrame(FRAME_READY, Uint8Array.of(1, 0)));
    const bad = new Uint8Array(4);
    new DataView(bad.buffer).setUint32(0, FRAME_MAX_LENGTH + 1);
    assert.throws(
      () => decoder.push(bad),
      (e: unknown) => e instanceof HelperFrameError && e.code === "ERR_PROBE_HELPER_FRAME" && e.offset === 7,
    );
    assert.throws(() => decoder.push(encodeFrame(FRAME_READY, Uint8Array.of(1, 0))), HelperFrameError);
    assert.throws(() => new FrameDecoder().push(Uint8Array.of(0, 0, 0, 0)), HelperFrameError);
  });

  it("rejects a payload too long to frame", () => {
    assert.throws(() => encodeFrame(FRAME_SEND, new Uint8Array(FRAME_MAX_LENGTH)), HelperFrameError);
  });

  it("round-trips RECV payloads (seconds u64 BE, nanoseconds u32 BE, packet)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 40n * 1_000_000_000n }),
        fc.uint8Array({ maxLength: 100 }),
        (receivedAtNs, bytes) => {
          const got = decodeRecvPayload(encodeRecvPayload({ receivedAtNs, bytes }));
          assert.equal(got.receivedAtNs, receivedAtNs);
          assert.deepEqual([...got.bytes], [...bytes]);
        },
      ),
    );
  });

  it("rejects short RECV payloads and nanoseconds ≥ 1e9; decodes READY", () => {
    assert.throws(() => decodeRecvPayload(new Uint8Array(11)), HelperFrameError);
    const p = new Uint8Array(12);
    new DataView(p.buffer).setUint32(8, 1_000_000_000);
    assert.throws(() => decodeRecvPayload(p), HelperFrameError);
    assert.deepEqual(decodeReadyPayload(Uint8Array.of(1, 1)), { version: 1, tcpAnswers: true, capture: false });
    assert.throws(() => decodeReadyPayload(Uint8Array.of(1)), HelperFrameError);
  });
});
