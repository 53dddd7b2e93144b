/**
 * TCP flags as text, in the style of nfdump's `flg` column: one position per flag, the flag's letter when set and `.`
 * when clear. The cumulative OR of the flags of a flow is the `tcp_flags` byte of a NetFlow v5 record
 * (cflowd-v5-format.txt Table 16, "TCP flags") and the `tcp_flag` field of a collector record (flow-collector.txt Table 2).
 *
 * Six positions `UAPRSF` (URG ACK PSH RST SYN FIN) when CWR and ECE are clear, e.g. `.A..S.` for SYN+ACK; eight
 * positions `CEUAPRSF` when either is set, e.g. `CE.A..S.`.
 */
import { InvalidFieldError } from "./errors.ts";

/** FIN: no more data from sender (RFC 9293). */
export const TCP_FIN = 0x01;
/** SYN: synchronize sequence numbers. */
export const TCP_SYN = 0x02;
/** RST: reset the connection. */
export const TCP_RST = 0x04;
/** PSH: push function. */
export const TCP_PSH = 0x08;
/** ACK: acknowledgment field significant. */
export const TCP_ACK = 0x10;
/** URG: urgent pointer field significant. */
export const TCP_URG = 0x20;
/** ECE: ECN-Echo (RFC 3168). */
export const TCP_ECE = 0x40;
/** CWR: congestion window reduced (RFC 3168). */
export const TCP_CWR = 0x80;

// Letters from the most significant bit (CWR, 0x80) down to FIN (0x01).
const LETTERS = "CEUAPRSF";

/**
 * Formats the low 8 bits of `flags` as `UAPRSF` positions (6 characters), or `CEUAPRSF` (8 characters) when CWR or ECE
 * is set. Bits above 0xff are ignored.
 */
export function tcpFlagsToString(flags: number): string {
  const width = (flags & (TCP_CWR | TCP_ECE)) !== 0 ? 8 : 6;
  let s = "";
  for (let i = 8 - width; i < 8; i++) s += (flags & (0x80 >> i)) !== 0 ? LETTERS[i] : ".";
  return s;
}

/**
 * Parses 6 (`UAPRSF`) or 8 (`CEUAPRSF`) positions back into the flags byte. Each position holds its own letter (either
 * case) or `.`.
 * @param offset character offset of `text` in the caller's input, added to the offsets in errors.
 * @throws InvalidFieldError `ERR_TCP_FLAGS` for another length or a character out of place (offset of that character).
 */
export function tcpFlagsFromString(text: string, offset = 0): number {
  if (text.length !== 6 && text.length !== 8) {
    throw new InvalidFieldError("ERR_TCP_FLAGS", `TCP flags need 6 or 8 positions: ${JSON.stringify(text)}`, offset);
  }
  const first = 8 - text.length;
  let flags = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const letter = LETTERS[first + i];
    if (c === letter || c === letter.toLowerCase()) flags |= 0x80 >> (first + i);
    else if (c !== ".") {
      throw new InvalidFieldError(
        "ERR_TCP_FLAGS",
        `TCP flags position ${i + 1} must be ${letter} or '.', found ${JSON.stringify(c)}`,
        offset + i,
      );
    }
  }
  return flags;
}
