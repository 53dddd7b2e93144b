/**
 * Which member of a Linux bond a flow leaves on: a reproduction of the bonding driver's transmit choice
 * (drivers/net/bonding/bond_main.c; the policies as Documentation/networking/bonding.rst describes them) for IPv4
 * TCP/UDP packets that are not fragments. It holds for kernels 6.0 and later (Debian 12's 6.1 included) on
 * little-endian machines (x86-64, arm64). Older kernels differ: before 6.0 (and the 5.15.y stable updates that took
 * the same fix, kernel commit 49aefd131739) layer2+3 also dropped the hash's lowest bit; before 5.15 the layer-2 term
 * used the Ethernet type in wire order (0x0008 for IPv4); big-endian machines read the header words the other way
 * round. The kernel here has no bonding, so this is tested against hand-computed vectors only.
 *
 * - balance-xor and 802.3ad: the member at `hash % count` among the members that can transmit (MII up, and in 802.3ad
 *   in the active aggregator), counted in the order `/proc/net/bonding/<bond>` lists them (the bond's slave list).
 * - active-backup: the currently active member. Other modes (balance-rr, broadcast, balance-tlb/alb): no answer.
 *
 * The hash (all values 32-bit; a word "as read" takes 4 packet bytes in wire order as a little-endian number):
 * - layer2: `dst MAC[5] XOR src MAC[5] XOR 0x0800` (the Ethernet type of IPv4, in host order).
 * - layer2+3 (and encap2+3, identical for packets that are not tunnels the flow dissector opens: GRE, IPIP):
 *   start from the layer2 value; XOR the source and destination addresses as read; fold `h ^= h >> 16; h ^= h >> 8`.
 * - layer3+4: start from the source and destination ports as read (one word); XOR the addresses as read; fold as
 *   above; then drop the lowest bit (`h >> 1`, kernels 4.15 and later: TCP picks even source ports).
 * encap3+4 (uses the packet's receive hash when it has one) and vlan+srcmac are not reproduced.
 */
import { ipv4FromString } from "../wire/ipv4-address.ts";
import type { BondStatus } from "./bonding.ts";

/** The transmit hash policies reproduced here. */
export type BondHashPolicy = "layer2" | "layer2+3" | "layer3+4" | "encap2+3";

const POLICIES: readonly BondHashPolicy[] = ["layer2", "layer2+3", "layer3+4", "encap2+3"];

/** The Ethernet type of IPv4. */
const ETH_P_IP = 0x0800;

/**
 * The policy named by `text` (`/proc/net/bonding`: `layer3+4 (1)`; `ip -d link`: `layer3+4`), or undefined when it is
 * not one reproduced here (or absent).
 */
export function bondHashPolicy(text: string | undefined): BondHashPolicy | undefined {
  const name = text?.trim().split(/\s+/, 1)[0];
  return POLICIES.find((p) => p === name);
}

/** The packet fields the transmit hash reads. MACs are needed by the layer-2 policies only. */
export interface BondFrame {
  /** Source MAC: the bond's own address for a routed packet. */
  srcMac?: string;
  /** Destination MAC: the next hop's (the neighbour entry of the gateway, or of the destination when on-link). */
  dstMac?: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

const MAC = /^(?:[0-9a-f]{2}:){5}([0-9a-f]{2})$/i;

/** The last octet of a MAC address, or undefined when `mac` is not one. */
function lastOctet(mac: string | undefined): number | undefined {
  const m = mac === undefined ? null : MAC.exec(mac);
  return m === null ? undefined : Number.parseInt(m[1]!, 16);
}

/** Bytes b0..b3 (wire order) read as a little-endian 32-bit number. */
function le32(b0: number, b1: number, b2: number, b3: number): number {
  return ((b0 & 0xff) | ((b1 & 0xff) << 8) | ((b2 & 0xff) << 16) | ((b3 & 0xff) << 24)) >>> 0;
}

/** An IPv4 address's 4 wire bytes read as a little-endian number. */
function addressWord(address: string): number {
  const a = ipv4FromString(address);
  return le32(a >>> 24, a >>> 16, a >>> 8, a);
}

/**
 * The bonding transmit hash of `frame` under `policy` (unsigned 32-bit), or undefined when a layer-2 policy lacks a
 * MAC address.
 * @throws InvalidFieldError `ERR_IPV4_ADDRESS` when an address is not dotted-quad IPv4.
 */
export function bondTransmitHash(policy: BondHashPolicy, frame: BondFrame): number | undefined {
  let hash: number;
  if (policy === "layer3+4") {
    hash = le32(frame.sport >>> 8, frame.sport, frame.dport >>> 8, frame.dport);
  } else {
    const d = lastOctet(frame.dstMac);
    const s = lastOctet(frame.srcMac);
    if (d === undefined || s === undefined) return undefined;
    hash = d ^ s ^ ETH_P_IP;
    if (policy === "layer2") return hash;
  }
  hash = (hash ^ addressWord(frame.src) ^ addressWord(frame.dst)) >>> 0;
  hash = (hash ^ (hash >>> 16)) >>> 0;
  hash = (hash ^ (hash >>> 8)) >>> 0;
  return policy === "layer3+4" ? hash >>> 1 : hash;
}

/** The bonding modes with a per-flow transmit choice, as `/proc/net/bonding` or `ip -d link` name them. */
function modeOf(mode: string): "xor" | "active-backup" | undefined {
  if (/802\.3ad|\(xor\)|balance-xor/.test(mode)) return "xor";
  if (/active-backup/.test(mode)) return "active-backup";
  return undefined;
}

/** The members a balance-xor or 802.3ad bond hashes over, in its slave order. */
export function usableMembers(status: BondStatus): string[] {
  return status.members.filter((m) => m.up).map((m) => m.name);
}

/**
 * The member of the bond described by `status` (from `/proc/net/bonding/<bond>`) that `frame` leaves on, or undefined
 * when hopd cannot tell: a mode without a per-flow choice, a policy not reproduced, a layer-2 policy without both MAC
 * addresses, or no member able to transmit.
 */
export function bondTransmitMember(status: BondStatus, frame: BondFrame): string | undefined {
  const mode = modeOf(status.mode);
  if (mode === "active-backup") {
    const active = status.members.find((m) => m.name === status.activeMember && m.up);
    return active?.name;
  }
  if (mode !== "xor") return undefined;
  const policy = bondHashPolicy(status.hashPolicy ?? "layer2");
  const usable = usableMembers(status);
  if (policy === undefined || usable.length === 0) return undefined;
  const hash = bondTransmitHash(policy, frame);
  return hash === undefined ? undefined : usable[hash % usable.length];
}

/** Whether the policy reads MAC addresses (the layer-2 term). */
export function policyNeedsMacs(policy: BondHashPolicy | undefined): boolean {
  return policy !== undefined && policy !== "layer3+4";
}
