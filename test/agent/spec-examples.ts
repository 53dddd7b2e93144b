/**
 * The overlay flow of the spec's list/flow example (compute-agent-api.txt, "List Flow Compute Agent API Example" and
 * Table 4), written out once for the tests that expect it: the VXLAN flow 10.10.11.11 -> 192.168.5.11 (source port
 * 53812, VNID 200) carrying the VM flow 10.0.0.2:41504 -> 10.0.0.3:9000.
 */
import type { TunnelTuple } from "../../src/probe/transport.ts";

/**
 * The example's 11-value PORTS tuple without its leading timestamp (UNIX seconds): VXLAN port 4789, outer source port,
 * VNID, VM source and destination MAC, VM source and destination address, VM protocol, VM ports.
 */
export const SPEC_OVERLAY_PORT_TAIL: readonly (string | number)[] = [
  4789,
  53812,
  200,
  "52:54:00:b8:9b:2e",
  "52:54:00:6e:cc:dc",
  "10.0.0.2",
  "10.0.0.3",
  "UDP",
  41504,
  9000,
];

/** The example's overlay flow as a start/tunnel tuple (no `dport`: the spec's default applies). */
export const SPEC_OVERLAY_TUNNEL: Readonly<TunnelTuple> = {
  src: "10.10.11.11",
  dst: "192.168.5.11",
  sport: 53812,
  vnid: 200,
  appsrc: "10.0.0.2",
  appdst: "10.0.0.3",
  appsmac: "52:54:00:b8:9b:2e",
  appdmac: "52:54:00:6e:cc:dc",
};
