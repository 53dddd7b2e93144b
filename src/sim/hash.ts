/**
 * The fabric's forwarding hash: which ECMP member and which LAG member a flow's packets take. Deterministic, a pure
 * function of the 5-tuple and the device's seed, so every packet of a flow (and every probe carrying its tuple) takes
 * the same path, and two devices with different seeds split the same flows differently (no hash polarisation).
 *
 * Key: 13 bytes in network order, `src (4) | dst (4) | protocol (1) | sport (2) | dport (2)`. Hash: 32-bit FNV-1a whose
 * offset basis is XORed with the device seed, then the MurmurHash3 `fmix32` finaliser (FNV alone spreads the low bits
 * of near-identical keys poorly). ECMP bucket: `hash mod numBuckets`. LAG member: `fmix32(hash XOR 0x9e3779b9) mod
 * members`, a re-mixed hash so the LAG choice is independent of the ECMP choice even when the two counts share factors.
 */
import { ipv4FromString } from "../wire/ipv4-address.ts";
import { SimTupleError } from "./errors.ts";

/** The fields the hash reads: IPv4 addresses as unsigned 32-bit numbers, IANA protocol number, ports 0..65535. */
export interface HashKey {
  src: number;
  dst: number;
  protocol: number;
  sport: number;
  dport: number;
}

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const LAG_REMIX = 0x9e3779b9;

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. Returns an unsigned 32-bit number. */
export function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function fnvByte(h: number, b: number): number {
  return Math.imul(h ^ (b & 0xff), FNV_PRIME);
}

function fnvWord(h: number, value: number, bytes: number): number {
  let x = h;
  for (let shift = (bytes - 1) * 8; shift >= 0; shift -= 8) x = fnvByte(x, value >>> shift);
  return x;
}

/** The 32-bit flow hash of `key` on a device with hash seed `seed` (unsigned 32-bit). */
export function flowHash(key: HashKey, seed: number): number {
  let h = (FNV_OFFSET_BASIS ^ seed) >>> 0;
  h = fnvWord(h, key.src, 4);
  h = fnvWord(h, key.dst, 4);
  h = fnvByte(h, key.protocol);
  h = fnvWord(h, key.sport, 2);
  h = fnvWord(h, key.dport, 2);
  return fmix32(h);
}

/** The ECMP bucket (0..numBuckets-1) of a flow whose hash is `hash`. `numBuckets` must be at least 1. */
export function ecmpBucket(hash: number, numBuckets: number): number {
  return (hash >>> 0) % numBuckets;
}

/** The LAG member index (0..members-1) of a flow whose hash is `hash`. `members` must be at least 1. */
export function lagMemberIndex(hash: number, members: number): number {
  return fmix32(hash ^ LAG_REMIX) % members;
}

/** IANA protocol number of the transport names the API uses (`tcp` 6, `udp` 17). */
export function protocolNumberOf(proto: "tcp" | "udp"): number {
  return proto === "tcp" ? 6 : 17;
}

/**
 * The hash key of a tuple given with dotted-quad addresses.
 * @throws SimTupleError when an address is not a dotted quad or a port is not an integer 0..65535.
 */
export function hashKeyOf(src: string, dst: string, proto: "tcp" | "udp", sport: number, dport: number): HashKey {
  for (const port of [sport, dport]) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SimTupleError(`port out of range: ${port}`);
  }
  try {
    return { src: ipv4FromString(src), dst: ipv4FromString(dst), protocol: protocolNumberOf(proto), sport, dport };
  } catch (e) {
    throw new SimTupleError((e as Error).message, { cause: e });
  }
}

/** A 32-bit hash of a string (FNV-1a over UTF-16 code units, then `fmix32`): default seeds and phases from names. */
export function stringHash(text: string, salt = 0): number {
  let h = (FNV_OFFSET_BASIS ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = fnvByte(h, text.charCodeAt(i));
    h = fnvByte(h, text.charCodeAt(i) >>> 8);
  }
  return fmix32(h);
}

/** A phase in [0, 2π) derived from a name, so each device or link moves out of step with the others. */
export function phaseOf(text: string, salt = 0): number {
  return (stringHash(text, salt) / 4294967296) * 2 * Math.PI;
}
