/**
 * 10,000 random and malformed queries (fast-check over fastify inject) never produce a 5xx or a crash: random
 * resources and paths, known parameters with valid, boundary and junk values, unknown and duplicated parameters, broken
 * percent-encoding, long and non-ASCII values, random Originator headers; rounds run between requests. Every CA answer
 * is JSON; every refusal is the envelope with the HTTP status of its return code.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CA_RESOURCES } from "../../src/agent/agent-metrics.ts";
import { RETURN_CODES } from "../../src/agent/return-codes.ts";
import { testAgent } from "./fakes.ts";

const RESOURCES: readonly string[] = CA_RESOURCES;
const PARAMS = [
  "src",
  "dst",
  "proto",
  "sport",
  "dport",
  "sfreq",
  "nhops",
  "ntry",
  "timeout",
  "chksum",
  "bw_ingress",
  "bw-ingress",
  "mirror_type",
  "mirror_dir",
  "mirror_analyzer",
  "vnid",
  "appsrc",
  "appdst",
  "appsmac",
  "appdmac",
  "appmac",
  "active",
];

const value = fc.oneof(
  fc.constantFrom("10.1.1.1", "10.1.7.1", "10.1.2.3", "10.1.2.5", "255.255.255.255", "0.0.0.0", "1.2.3"),
  fc.constantFrom("tcp", "UDP", "icmp", "true", "False", "TRUE", "yes", "ERSPAN", "ingress", "both"),
  fc.constantFrom("0", "1", "2", "255", "256", "65535", "65536", "30000", "0.5", "1e3", "-1", "1.", ".5", "00012"),
  fc.constantFrom("9c:8e:99:12:88:2e", "44-1e-a1-2-25-c0", "zz:zz", "%", "%zz", "%00", "a%2Fb", "+", ""),
  fc.integer({ min: -10, max: 70_000 }).map(String),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.tuple(fc.string({ minLength: 1, maxLength: 5 }), fc.integer({ min: 200, max: 1000 })).map(([s, n]) => s.repeat(n)),
);
const pair = fc.tuple(fc.oneof(fc.constantFrom(...PARAMS), fc.string({ maxLength: 8 })), value);
const path = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...RESOURCES).map((r) => `/${r}`) },
  fc.constantFrom(
    "/",
    "/start",
    "/start/",
    "/start/flow/",
    "/START/FLOW",
    "/data/flows",
    "/start%2Fflow",
    "//list/flow",
  ),
  fc.webPath(),
);
const VALID: [string, string][][] = [
  [
    ["src", "10.1.1.1"],
    ["dst", "10.1.7.1"],
  ],
  [
    ["src", "10.1.1.1"],
    ["dst", "10.1.7.1"],
    ["sport", "4567"],
    ["vnid", "5"],
    ["appsrc", "10.1.2.3"],
    ["appdst", "10.1.2.5"],
    ["appsmac", "9c:8e:99:12:88:2e"],
    ["appdmac", "44:1e:a1:02:25:c0"],
  ],
];
/** Mostly random pairs; often a valid flow or tunnel with a few random pairs added (so traces start and run). */
const pairs = fc.oneof(
  fc.array(pair, { maxLength: 14 }),
  fc
    .tuple(fc.constantFrom(...VALID), fc.array(pair, { maxLength: 3 }), fc.integer({ min: 1000, max: 1100 }))
    .map(([base, extra, sport]) => [
      ...base.map(([k, v]) => [k, k === "sport" ? String(sport) : v] as [string, string]),
      ...extra,
    ]),
);
const request = fc.record({
  path,
  pairs,
  raw: fc.option(fc.constantFrom("&&", "=", "==&=", "src", "&src&", "%E0%A4%A", "a=%", "#frag"), { nil: undefined }),
  originator: fc.option(fc.oneof(fc.constantFrom("alice", "bob", ""), fc.string({ maxLength: 12 })), {
    nil: undefined,
  }),
  address: fc.constantFrom("127.0.0.1", "192.0.2.1", "::1"),
  advance: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 250, 1000),
});

function encode(text: string): string {
  return text.replace(/[^A-Za-z0-9._~:%+-]/gu, (c) => encodeURIComponent(c));
}

describe("random and malformed queries", () => {
  it("10,000 requests: never a 5xx, never a crash, always a well-formed answer", async () => {
    const t = testAgent({ limits: { "max-active-flows": 50 } });
    const statusOf: Record<number, number[]> = { 1: [409], 2: [400, 409, 429, 503], 3: [401, 403], 4: [404] };
    try {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const query = r.pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&") + (r.raw ?? "");
          const headers: Record<string, string> = {};
          if (r.originator !== undefined) headers.originator = r.originator.replace(/[^\x20-\x7e]/g, "");
          const res = await t.get(`${r.path}?${query}`, { address: r.address, headers });
          assert.ok(res.statusCode < 500, `${res.statusCode} for ${r.path}?${query}: ${res.body.slice(0, 200)}`);
          if (RESOURCES.includes(r.path.slice(1))) {
            const body = res.json();
            if (res.statusCode !== 200) {
              assert.equal(body.rc, RETURN_CODES[body.code as keyof typeof RETURN_CODES]);
              assert.ok(statusOf[body.rc]!.includes(res.statusCode), `${body.code} with ${res.statusCode}`);
              assert.equal(typeof body.message, "string");
            }
          }
          if (r.advance > 0) await t.clock.advance(r.advance);
        }),
        { numRuns: 10_000 },
      );
      assert.equal((await t.get("/healthz")).statusCode, 200);
      assert.ok(t.agent.registry.size > 0, "some random starts were valid");
    } finally {
      await t.agent.close();
    }
  });
});
