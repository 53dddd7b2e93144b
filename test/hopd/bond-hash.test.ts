/**
 * The bonding transmit hash (src/hopd/bond-hash.ts) against vectors computed by hand from the algorithm of
 * Documentation/networking/bonding.rst as bond_main.c applies it on a little-endian machine (kernel ≥ 5.15): a 4-byte
 * field "as read" is its wire bytes b0 b1 b2 b3 taken as the number 0xb3b2b1b0. The kernel here has no bonding, so no
 * real bond can confirm them; every step is written out below so each vector can be checked on paper.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bondHashPolicy, bondTransmitHash, bondTransmitMember } from "../../src/hopd/bond-hash.ts";
import { parseBondingStatus } from "../../src/hopd/bonding.ts";
import { fixture } from "./fake-system.ts";

/*
 * Vector A, layer3+4: 10.40.0.7:5000 -> 10.20.5.9:443 (TCP).
 *   ports 5000 = 0x1388, 443 = 0x01bb: wire bytes 13 88 01 bb
 *   src 0a 28 00 07, dst 0a 14 05 09
 *   byte-wise XOR of the three words: 13^0a^0a = 13, 88^28^14 = b4, 01^00^05 = 04, bb^07^09 = b5 -> as read 0xb504b413
 *   h ^= h >> 16: 0xb504b413 ^ 0x0000b504 = 0xb5040117
 *   h ^= h >> 8:  0xb5040117 ^ 0x00b50401 = 0xb5b10516
 *   h >>= 1:      0x5ad8828b (= 1524138635; odd -> member 1 of 2; digit sum 38 -> mod 3 = 2)
 */
const A = { src: "10.40.0.7", dst: "10.20.5.9", sport: 5000, dport: 443 };
const A_HASH = 0x5ad8828b;

/*
 * Vector B, layer2: bond MAC 52:54:00:12:34:56, next hop MAC 00:1c:73:aa:bb:0d.
 *   0x56 ^ 0x0d ^ 0x0800 = 0x085b (= 2139; odd -> member 1 of 2; 2139 = 3 * 713 -> member 0 of 3)
 */
const MACS = { srcMac: "52:54:00:12:34:56", dstMac: "00:1c:73:aa:bb:0d" };
const B_HASH = 0x085b;

/*
 * Vector C, layer2+3: vector A's addresses with vector B's MACs.
 *   src as read 0x0700280a, dst as read 0x0905140a; XOR = 0x0e053c00; ^ 0x085b = 0x0e05345b
 *   h ^= h >> 16: 0x0e05345b ^ 0x00000e05 = 0x0e053a5e
 *   h ^= h >> 8:  0x0e053a5e ^ 0x000e053a = 0x0e0b3f64 (= 235618148; even -> member 0 of 2; digit sum 38 -> mod 3 = 2)
 */
const C_HASH = 0x0e0b3f64;

/*
 * Vector D, layer3+4 with an even source port: 192.0.2.1:40000 -> 198.51.100.2:80.
 *   ports 40000 = 0x9c40, 80 = 0x0050: 9c 40 00 50; src c0 00 02 01; dst c6 33 64 02
 *   XOR: 9c^c0^c6 = 9a, 40^00^33 = 73, 00^02^64 = 66, 50^01^02 = 53 -> as read 0x5366739a
 *   h ^= h >> 16: 0x5366739a ^ 0x00005366 = 0x536620fc
 *   h ^= h >> 8:  0x536620fc ^ 0x00536620 = 0x533546dc
 *   h >>= 1:      0x299aa36e (mod 4 = 2)
 */
const D = { src: "192.0.2.1", dst: "198.51.100.2", sport: 40000, dport: 80 };
const D_HASH = 0x299aa36e;

describe("bonding transmit hash", () => {
  test("policy names from /proc/net/bonding and ip -d link", () => {
    assert.equal(bondHashPolicy("layer3+4 (1)"), "layer3+4");
    assert.equal(bondHashPolicy("layer2+3"), "layer2+3");
    assert.equal(bondHashPolicy("encap2+3 (3)"), "encap2+3");
    assert.equal(bondHashPolicy("encap3+4 (4)"), undefined, "not reproduced");
    assert.equal(bondHashPolicy("vlan+srcmac (5)"), undefined);
    assert.equal(bondHashPolicy(undefined), undefined);
  });

  test("hand-computed vectors", () => {
    assert.equal(bondTransmitHash("layer3+4", A), A_HASH);
    assert.equal(bondTransmitHash("layer3+4", { ...A, ...MACS }), A_HASH, "MACs play no part in layer3+4");
    assert.equal(bondTransmitHash("layer2", { ...A, ...MACS }), B_HASH);
    assert.equal(bondTransmitHash("layer2+3", { ...A, ...MACS }), C_HASH);
    assert.equal(bondTransmitHash("encap2+3", { ...A, ...MACS }), C_HASH, "no tunnel: the same as layer2+3");
    assert.equal(bondTransmitHash("layer3+4", D), D_HASH);
    assert.equal(bondTransmitHash("layer2", A), undefined, "layer2 without MACs cannot be computed");
    assert.equal(bondTransmitHash("layer2+3", { ...A, srcMac: "52:54:00:12:34:56", dstMac: "bogus" }), undefined);
  });

  test("802.3ad: hash modulo the members of the active aggregator, in /proc order", () => {
    const status = parseBondingStatus(fixture("proc-net-bonding-bond0.txt"));
    // enp1s0f2 is in aggregator 2, not the active 1: the usable members are enp1s0f0, enp1s0f1.
    assert.equal(bondTransmitMember(status, A), "enp1s0f1", "0x5ad8828b is odd");
    const three = { ...status, members: status.members.map((m) => ({ ...m, up: true })) };
    assert.equal(bondTransmitMember(three, A), "enp1s0f2", "1524138635 mod 3 = 2");
    const l23 = { ...status, hashPolicy: "layer2+3 (2)" };
    assert.equal(bondTransmitMember(l23, { ...A, ...MACS }), "enp1s0f0", "0x0e0b3f64 is even");
    assert.equal(bondTransmitMember({ ...three, hashPolicy: "layer2+3 (2)" }, { ...A, ...MACS }), "enp1s0f2");
    assert.equal(
      bondTransmitMember({ ...three, hashPolicy: "layer2 (0)" }, { ...A, ...MACS }),
      "enp1s0f0",
      "2139 mod 3 = 0",
    );
    assert.equal(bondTransmitMember(l23, A), undefined, "no MACs");
    assert.equal(bondTransmitMember({ ...status, hashPolicy: "encap3+4 (4)" }, A), undefined);
    const down = { ...status, members: status.members.map((m) => ({ ...m, up: false })) };
    assert.equal(bondTransmitMember(down, A), undefined, "no member can transmit");
  });

  test("balance-xor hashes alike; active-backup answers its active member; round-robin has no per-flow answer", () => {
    const xor = {
      mode: "load balancing (xor)",
      hashPolicy: "layer3+4 (1)",
      members: [
        { name: "a", up: true },
        { name: "b", up: false },
        { name: "c", up: true },
        { name: "d", up: true },
      ],
    };
    assert.equal(bondTransmitMember(xor, A), "d", "usable a, c, d; 1524138635 mod 3 = 2");
    const ab = parseBondingStatus(fixture("proc-net-bonding-active-backup.txt"));
    assert.equal(bondTransmitMember(ab, A), "eth0");
    assert.equal(bondTransmitMember({ ...xor, mode: "load balancing (round-robin)" }, A), undefined);
  });
});
