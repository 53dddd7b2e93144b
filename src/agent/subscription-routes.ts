/**
 * `POST /api/v1/subscription/subscribeAll` on the agent: every completed round of this agent's traces, as server-sent
 * events from the moment of the request (src/scale/subscribe-all.ts has the request and event format; docs/scale-out.md
 * documents them). Every agent's rounds together come from `flowlens subscriber`, which reads the JetStream path stream
 * the agents publish to. `deliver: all` is refused here (an agent keeps no history; the subscriber's stream does).
 */
import { hostname } from "node:os";
import type { FastifyInstance } from "fastify";
import { pathRoundMessage } from "../scale/path-message.ts";
import { registerSubscribeAll } from "../scale/subscribe-all-route.ts";
import { wanted } from "../scale/subscribe-all.ts";
import type { BearerCheck } from "./bearer-auth.ts";
import type { AgentClock } from "./clock.ts";
import type { AgentConfig } from "./config.ts";
import type { PathFeed } from "./path-feed.ts";
import { CaError } from "./return-codes.ts";

/** What the route needs of the agent. */
export interface SubscriptionRouteDeps {
  feed: PathFeed;
  /** This agent's name in the messages (default {@link agentNameOf} the configuration). */
  agent?: string;
  clock: AgentClock;
  auth?: BearerCheck;
}

/** The agent's name in path messages and subjects: `scale-out.agent-name`, else the host name. */
export function agentNameOf(config: AgentConfig): string {
  return config["scale-out"]?.["agent-name"] ?? hostname();
}

/** Adds `POST /api/v1/subscription/subscribeAll` to the agent's app. */
export function registerSubscriptionRoutes(app: FastifyInstance, config: AgentConfig, d: SubscriptionRouteDeps): void {
  const deps = { ...d, agent: d.agent ?? agentNameOf(config) };
  registerSubscribeAll(app, {
    sourceName: "agent",
    ...(deps.auth === undefined ? {} : { auth: deps.auth }),
    source: async (request, _lastEventId, emit) => {
      if (request.deliver === "all") {
        throw new CaError("EFAIL", "deliver: all needs flowlens subscriber (the JetStream path stream)", {
          kind: "invalid",
        });
      }
      let n = 0;
      return deps.feed.subscribe((round) => {
        const m = pathRoundMessage(deps.agent, round, deps.clock.now());
        if (wanted(request, m)) emit(m, `${deps.agent}:${++n}`);
      });
    },
  });
}
