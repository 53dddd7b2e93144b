/**
 * The embedded default exporter configuration `flowlens up` runs: the simulated fabric's traffic (`input.simulation`,
 * a simulation: docs/sim.md) sampled 1 in 100, exported as NetFlow v5 to the default collector on 127.0.0.1:2055 with a
 * 10 s period, flows exported every 5 s while they last, and the admin API on 127.0.0.1:8083. No root, no capture.
 */

/** The default exporter configuration as YAML. */
export function defaultExporterConfigText(): string {
  return `# flowlens exporter: embedded default (flowlens up)
input:
  simulation: true        # the simulated fabric's traffic, not a capture
  rate: 100               # sample 1 packet in 100, as a router would
  max-packets-per-second: 1000
output:
  period: 10s
  cflowd:
    - { host: 127.0.0.1, port: 2055, version: 5 }
flow-cache:
  flow-active-timeout: 5s  # the fabric's flows never end: export them every few seconds
  flow-inactive-timeout: 15s
admin: { host: 127.0.0.1, port: 8083 }
`;
}
