/**
 * The agent's JetStream publisher: every completed round of the agent's traces (its {@link PathFeed}) is published as a
 * {@link PathRoundMessage} on `flowlens.paths.<agent>.<flow key>` of the path stream, with a `Nats-Msg-Id` of
 * `<agent>/<start ms>/<round number>` so a retried publish is not stored twice. While NATS is away, up to
 * `pending-limit` rounds wait in memory (oldest dropped first, counted); they are published when it returns.
 */
import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { PathFeed } from "../agent/path-feed.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import { NatsLink } from "./nats-link.ts";
import { pathRoundMessage } from "./path-message.ts";
import { ensurePathStream } from "./path-stream.ts";
import type { AgentScaleOutConfig } from "./scale-config.ts";
import { scrapedCounter, scrapedGauge } from "./scraped-metrics.ts";
import { pathSubject } from "./subject-tokens.ts";

/** Counters of a {@link PathPublisher}. */
export interface PathPublisherCounters {
  published: number;
  /** Rounds dropped because `pending-limit` rounds were already waiting. */
  dropped: number;
  failures: number;
}

interface Pending {
  subject: string;
  id: string;
  data: string;
}

/** Publishes rounds in parallel at most this many. */
const WINDOW = 64;

/** See the module comment. */
export class PathPublisher {
  readonly counters: PathPublisherCounters = { published: 0, dropped: 0, failures: 0 };
  readonly agent: string;
  readonly #link: NatsLink;
  readonly #config: AgentScaleOutConfig;
  readonly #logger: Logger;
  readonly #queue: Pending[] = [];
  readonly #unsubscribe: () => void;
  readonly #startMs = Date.now();
  #n = 0;
  #streamReady = false;
  #pumping: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(config: AgentScaleOutConfig, agent: string, feed: PathFeed, logger: Logger) {
    this.#config = config;
    this.agent = agent;
    this.#logger = logger;
    this.#link = NatsLink.start({ config: config.nats, name: `flowlens-agent@${agent}`, logger });
    this.#unsubscribe = feed.subscribe((round) => {
      const m = pathRoundMessage(agent, round, Date.now());
      this.#queue.push({
        subject: pathSubject(agent, round.key),
        id: `${agent}/${this.#startMs}/${++this.#n}`,
        data: JSON.stringify(m),
      });
      if (this.#queue.length > config["pending-limit"]) {
        this.#queue.shift();
        this.counters.dropped++;
      }
      this.#pump();
    });
  }

  /** Subscribes to `feed` and starts connecting (in the background; never throws). */
  static start(options: { config: AgentScaleOutConfig; agent: string; feed: PathFeed; logger: Logger }): PathPublisher {
    return new PathPublisher(
      options.config,
      options.agent,
      options.feed,
      options.logger.child({ component: "path-publisher" }),
    );
  }

  /** Rounds waiting to be published. */
  get pending(): number {
    return this.#queue.length;
  }

  /** True while connected to NATS. */
  get connected(): boolean {
    return this.#link.connected;
  }

  /** Unsubscribes, publishes what waits (for at most `timeoutMs`, default 2 s) and closes the connection. */
  async close(timeoutMs = 2000): Promise<void> {
    this.#unsubscribe();
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length > 0 && this.#link.connected && Date.now() < deadline) {
      this.#pump();
      await (this.#pumping ?? new Promise((r) => setTimeout(r, 50)));
    }
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#link.close();
  }

  #pump(): void {
    if (this.#pumping !== undefined || this.#closed) return;
    this.#pumping = this.#run()
      .catch((e: unknown) => {
        this.#logger.warn({ err: String(e) }, "publishing rounds failed; retrying");
      })
      .finally(() => {
        this.#pumping = undefined;
        if (this.#queue.length > 0 && !this.#closed) {
          clearTimeout(this.#timer);
          this.#timer = setTimeout(() => this.#pump(), 250);
          this.#timer.unref();
        }
      });
  }

  async #run(): Promise<void> {
    const nc = this.#link.connection;
    if (nc === undefined || !this.#link.connected) return;
    if (!this.#streamReady) {
      try {
        await ensurePathStream(await jetstreamManager(nc), this.#config.stream);
        this.#streamReady = true;
      } catch (e) {
        this.#logger.warn({ err: String(e) }, "cannot create the path stream; retrying");
        return;
      }
    }
    const js: JetStreamClient = jetstream(nc);
    while (this.#queue.length > 0 && !this.#closed) {
      const batch = this.#queue.slice(0, WINDOW);
      const results = await Promise.allSettled(
        batch.map((p) => js.publish(p.subject, p.data, { msgID: p.id, timeout: 5000 })),
      );
      const sent = new Set(batch.filter((_, i) => results[i].status === "fulfilled"));
      const failed = batch.length - sent.size;
      const left = this.#queue.filter((p) => !sent.has(p));
      this.#queue.splice(0, this.#queue.length, ...left);
      this.counters.published += sent.size;
      if (failed > 0) {
        this.counters.failures += failed;
        return;
      }
    }
  }
}

/**
 * The agent daemon's publisher when its configuration has a `scale-out` section (undefined otherwise), named by
 * `scale-out.agent-name` or the host name.
 */
export function startAgentPathPublisher(
  config: { "scale-out"?: AgentScaleOutConfig | undefined },
  agent: string,
  feed: PathFeed,
  logger: Logger,
): PathPublisher | undefined {
  const scale = config["scale-out"];
  return scale === undefined ? undefined : PathPublisher.start({ config: scale, agent, feed, logger });
}

/**
 * Adds the publisher's figures to the agent's `/metrics`: `flowlens_agent_paths_published_total`,
 * `flowlens_agent_paths_dropped_total` (rounds dropped past `pending-limit`), `flowlens_agent_paths_pending` and
 * `flowlens_agent_nats_connected`.
 */
export function registerPathPublisherMetrics(metrics: Metrics, publisher: PathPublisher): void {
  scrapedCounter(
    metrics,
    "agent_paths_published_total",
    "Path rounds the path stream acknowledged",
    () => publisher.counters.published,
  );
  scrapedCounter(
    metrics,
    "agent_paths_dropped_total",
    "Path rounds dropped while NATS was away (pending-limit reached)",
    () => publisher.counters.dropped,
  );
  scrapedGauge(metrics, "agent_paths_pending", "Path rounds waiting to be published", () => publisher.pending);
  scrapedGauge(metrics, "agent_nats_connected", "1 while connected to NATS", () => (publisher.connected ? 1 : 0));
}
