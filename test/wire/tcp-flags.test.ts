import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isWireError } from "../../src/wire/errors.ts";
import {
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  tcpFlagsFromString,
  tcpFlagsToString,
} from "../../src/wire/tcp-flags.ts";

describe("TCP flags text", () => {
  it("writes six positions UAPRSF without CWR/ECE", () => {
    assert.equal(tcpFlagsToString(0), "......");
    assert.equal(tcpFlagsToString(TCP_SYN), "....S.");
    assert.equal(tcpFlagsToString(TCP_SYN | TCP_ACK), ".A..S.");
    assert.equal(tcpFlagsToString(TCP_ACK | TCP_PSH | TCP_FIN), ".AP..F");
    assert.equal(tcpFlagsToString(TCP_URG | TCP_ACK | TCP_PSH | TCP_RST | TCP_SYN | TCP_FIN), "UAPRSF");
    assert.equal(tcpFlagsToString(0x1b), ".AP.SF"); // the collector example's tcp_flag 27
  });

  it("writes eight positions CEUAPRSF when CWR or ECE is set", () => {
    assert.equal(tcpFlagsToString(TCP_CWR), "C.......");
    assert.equal(tcpFlagsToString(TCP_ECE | TCP_SYN), ".E....S.");
    assert.equal(tcpFlagsToString(0xff), "CEUAPRSF");
  });

  it("ignores bits above the flags byte", () => {
    assert.equal(tcpFlagsToString(0x100 | TCP_ACK), ".A....");
  });

  it("parses back what it writes, for every byte", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (flags) => {
        const text = tcpFlagsToString(flags);
        assert.equal(text.length, flags & 0xc0 ? 8 : 6);
        assert.equal(tcpFlagsFromString(text), flags);
      }),
    );
  });

  it("accepts lower-case letters and eight positions with C and E clear", () => {
    assert.equal(tcpFlagsFromString(".a..s."), TCP_ACK | TCP_SYN);
    assert.equal(tcpFlagsFromString("...A..S."), TCP_ACK | TCP_SYN);
  });

  it("rejects wrong lengths and letters out of place with the offending offset", () => {
    const code = (text: string, offset: number) => () =>
      assert.throws(
        () => tcpFlagsFromString(text, 10),
        (e: unknown) => isWireError(e) && e.code === "ERR_TCP_FLAGS" && e.offset === offset,
      );
    code("", 10)();
    code(".A..S", 10)();
    code(".A..S..", 10)();
    code("S.....", 10)();
    code(".A..X.", 14)();
    code("E.......", 10)();
  });
});
