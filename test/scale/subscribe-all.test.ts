/**
 * Two agents on simulated fabrics publish every completed round to the JetStream path stream; one subscribeAll consumer
 * on `flowlens subscriber`'s service sees every round of both, in each agent's order. The agent's own subscribeAll
 * streams its rounds too, and bad requests are refused with the CA envelope.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { agentConfigSchema } from "../../src/agent/config.ts";
import type { PathRound } from "../../src/agent/path-feed.ts";
import { type RunningSimulatedAgent, startSimulatedAgent } from "../../src/cli/daemon/sim-agent.ts";
import type { PathRoundMessage } from "../../src/scale/path-message.ts";
import { PathPublisher } from "../../src/scale/path-publisher.ts";
import { SUBSCRIBE_ALL_PATH } from "../../src/scale/subscribe-all.ts";
import { type RunningSubscriber, startSubscriber, subscriberConfigSchema } from "../../src/scale/subscriber-server.ts";
import { waitFor } from "../helpers/processes.ts";
import { type NatsNode, needsNatsServer, startNatsServer } from "./nats-servers.ts";
import { quietLogger } from "./scale-fixtures.ts";
import { subscribe } from "./sse-client.ts";

const skip = needsNatsServer();
const FLOW = "dport=9000&src=10.1.1.1&dst=10.1.7.1&sport=4567&proto=tcp&sfreq=0.2";

describe("subscribeAll: two agents publish, one consumer sees every round", { skip }, () => {
  let dir: string;
  let nats: NatsNode | undefined;
  const agents: RunningSimulatedAgent[] = [];
  const publishers: PathPublisher[] = [];
  let subscriber: RunningSubscriber | undefined;
  /** Event ids (stream sequences) of the rounds the first test received live. */
  let liveIds: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-scale-sub-"));
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    for (const p of publishers) await p.close().catch(() => undefined);
    await subscriber?.stop();
    await nats?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("streams every round of both agents from JetStream, and each agent's own", async () => {
    nats = await startNatsServer(dir);
    const nc = { servers: [nats.url], "reconnect-wait": "100ms" };
    const logger = quietLogger();
    subscriber = await startSubscriber(
      subscriberConfigSchema.parse({ "log-level": "warn", http: { port: 0 }, nats: nc }),
      logger,
    );
    await waitFor("subscriber ready", async () => (await fetch(`${subscriber?.url}/readyz`)).ok, 15_000);
    const truth = new Map<string, PathRound[]>();
    for (const name of ["agent-a", "agent-b"]) {
      const config = agentConfigSchema.parse({
        "log-level": "warn",
        http: { port: 0 },
        "scale-out": { "agent-name": name, nats: nc },
      });
      const agent = await startSimulatedAgent(config, { logger });
      agents.push(agent);
      const scale = config["scale-out"];
      assert.ok(scale !== undefined);
      publishers.push(PathPublisher.start({ config: scale, agent: name, feed: agent.feed, logger }));
      truth.set(name, []);
      agent.feed.subscribe((r) => truth.get(name)?.push(r));
    }
    await waitFor("publishers connected", () => publishers.every((p) => p.connected), 15_000);
    const all = await subscribe(`${subscriber.url}${SUBSCRIBE_ALL_PATH}`, {});
    assert.equal(all.status, 200);
    const own = await subscribe(`${agents[0].url}${SUBSCRIBE_ALL_PATH}`, { kinds: ["flow"] });
    assert.equal(own.status, 200);
    await waitFor("subscribed events", () => all.events.length > 0 && own.events.length > 0);
    assert.deepEqual(all.events[0].event, "subscribed");

    for (const a of agents) assert.equal((await fetch(`${a.url}/start/flow?${FLOW}`)).status, 200);
    await waitFor("a few rounds on each agent", () => [...truth.values()].every((r) => r.length >= 4), 20_000);
    for (const a of agents) await fetch(`${a.url}/stop/flow?${FLOW}`);
    await new Promise((r) => setTimeout(r, 300));
    const sent = [...truth.values()].reduce((n, r) => n + r.length, 0);
    await waitFor(
      "every round at the subscriber",
      () => all.events.filter((e) => e.event === "path").length >= sent,
      15_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    all.close();
    own.close();

    const got = all.events.filter((e) => e.event === "path").map((e) => e.data as PathRoundMessage);
    liveIds = all.events.filter((e) => e.event === "path").map((e) => e.id ?? "");
    assert.equal(got.length, sent, "every round once");
    for (const [name, rounds] of truth) {
      const mine = got.filter((m) => m.agent === name);
      assert.deepEqual(
        mine.map((m) => JSON.stringify(m.path)),
        rounds.map((r) => JSON.stringify(r.path)),
        `${name}: every round, in order`,
      );
    }
    const ownPaths = own.events.filter((e) => e.event === "path").map((e) => e.data as PathRoundMessage);
    assert.ok(ownPaths.length >= (truth.get("agent-a")?.length ?? 0) - 1);
    assert.ok(ownPaths.every((m) => m.agent === "agent-a" && m.kind === "flow"));
  });

  it("replays the stream with deliver: all, and resumes after Last-Event-ID", async () => {
    assert.ok(liveIds.length >= 8 && subscriber !== undefined);
    const url = `${subscriber.url}${SUBSCRIBE_ALL_PATH}`;
    const paths = (events: { event: string; id: string | undefined }[]) =>
      events.filter((e) => e.event === "path").map((e) => e.id);
    const replay = await subscribe(url, { deliver: "all" });
    await waitFor("the whole stream replayed", () => paths(replay.events).length >= liveIds.length, 15_000);
    const k = 3;
    const resumed = await subscribe(url, {}, { "last-event-id": liveIds[k - 1] });
    await waitFor(
      "the rest after the last event seen",
      () => paths(resumed.events).length >= liveIds.length - k,
      15_000,
    );
    const onlyA = await subscribe(url, { deliver: "all", agents: ["agent-b"] });
    await waitFor("agent-b's rounds", () => paths(onlyA.events).length > 0, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    for (const s of [replay, resumed, onlyA]) s.close();
    assert.deepEqual(paths(replay.events), liveIds);
    assert.deepEqual(paths(resumed.events), liveIds.slice(k));
    const b = onlyA.events.filter((e) => e.event === "path").map((e) => (e.data as PathRoundMessage).agent);
    assert.ok(b.length > 0 && b.every((a) => a === "agent-b"));
  });

  it("refuses bad requests with the CA envelope", async () => {
    const url = `${agents[0].url}${SUBSCRIBE_ALL_PATH}`;
    const bad = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"kinds":["x"]}',
    });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { rc: number; code: string; message: string };
    assert.equal(body.code, "EFAIL");
    assert.match(body.message, /^kinds\.0: /);
    const history = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"deliver":"all"}',
    });
    assert.equal(history.status, 400);
    const unknown = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"since":1}',
    });
    assert.equal(unknown.status, 400);
  });
});
