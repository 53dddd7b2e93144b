/**
 * One process's NATS connection, kept up for the life of the daemon: the first connection is retried every
 * `reconnect-wait` until it succeeds (a receiver starts and buffers to disk while NATS is away), later disconnections
 * are healed by the client's own reconnects (to any server of the cluster, forever). {@link NatsLink.connected} says
 * whether publishes can be expected to succeed now.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../runtime/logger.ts";
import { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import type { NatsConnectionConfig } from "./scale-config.ts";

/** Options of {@link NatsLink.start}. */
export interface NatsLinkOptions {
  config: NatsConnectionConfig;
  /** Connection name when the configuration gives none (e.g. `flowlens-receiver@host`). */
  name: string;
  logger: Logger;
}

/** A NATS connection that comes and goes; see the module comment. */
export class NatsLink {
  #nc: NatsConnection | undefined;
  #connected = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters: ((nc: NatsConnection) => void)[] = [];
  readonly #o: NatsLinkOptions;
  /** Connection failures repeat every `reconnect-wait`: logged rate-limited, each one counted. */
  readonly #failures: RateLimitedLog;

  private constructor(options: NatsLinkOptions) {
    this.#o = options;
    this.#failures = new RateLimitedLog(options.logger.child({ component: "nats" }));
  }

  /** Starts connecting in the background; never throws (failures are logged and retried). */
  static start(options: NatsLinkOptions): NatsLink {
    const link = new NatsLink(options);
    void link.#attempt();
    return link;
  }

  /** The connection once made (it may be reconnecting), or undefined before the first connection. */
  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  /** True while connected to a server. */
  get connected(): boolean {
    return this.#connected && !this.#closed;
  }

  /** Resolves with the connection once the first connection is made (never, if it is closed before). */
  ready(): Promise<NatsConnection> {
    if (this.#nc !== undefined) return Promise.resolve(this.#nc);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Drains and closes the connection (pending publishes flushed), or stops trying to connect. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) {
      await nc.drain().catch(() => nc.close());
    }
  }

  async #attempt(): Promise<void> {
    if (this.#closed) return;
    const c = this.#o.config;
    const log = this.#o.logger;
    try {
      const nc = await connect({
        servers: c.servers.map((s) => s.replace(/^nats:\/\//, "")),
        name: c.name ?? this.#o.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: c["reconnect-wait"],
        timeout: 2000,
        pingInterval: 5000,
        ...(c["token-file"] === undefined ? {} : { token: c["token-file"].reveal() }),
      });
      if (this.#closed) {
        await nc.close();
        return;
      }
      this.#nc = nc;
      this.#connected = true;
      log.info({ component: "nats", server: nc.getServer() }, "connected to NATS");
      void this.#watch(nc);
      for (const w of this.#waiters.splice(0)) w(nc);
    } catch (e) {
      if (this.#closed) return;
      this.#failures.warn("ERR_SCALE_NATS", `NATS unreachable (${c.servers.join(", ")}): ${String(e)}; retrying`);
      this.#timer = setTimeout(() => void this.#attempt(), c["reconnect-wait"]);
      this.#timer.unref();
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        this.#connected = false;
        this.#o.logger.warn({ component: "nats" }, "disconnected from NATS; reconnecting");
      } else if (s.type === "reconnect") {
        this.#connected = true;
        this.#o.logger.info({ component: "nats", server: nc.getServer() }, "reconnected to NATS");
      }
    }
    this.#connected = false;
  }
}
