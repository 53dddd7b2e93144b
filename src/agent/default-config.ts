/**
 * The embedded default configuration of the agent that `flowlens up` runs: the CA API on 127.0.0.1:8080 (the port of
 * the spec's examples) over the simulated fabric's default topology, list/flow showing the fabric's flows.
 */

/** The default agent configuration as YAML (load it with `agentConfigSchema`). */
export function defaultAgentConfigText(): string {
  return `# flowlens agent: embedded default (flowlens up)
http: { host: 127.0.0.1, port: 8080 }
network: simulated
list-flow: { source: network }
`;
}
