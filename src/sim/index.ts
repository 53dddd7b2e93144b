/**
 * The simulated fabric (`src/sim/`): an in-memory leaf-spine network with ECMP and LAG that implements the agent's
 * probe transport and telemetry provider. It is a simulation and sends nothing on any network. docs/sim.md.
 */
export {
  type SimDeviceConfig,
  type SimFlowConfig,
  type SimHostConfig,
  type SimLinkConfig,
  type SimTopology,
  type SimTopologyInput,
  type SimTrafficConfig,
  parseSimTopology,
  simTopologySchema,
} from "./config.ts";
export { defaultSimTopology } from "./default-topology.ts";
export { SimClosedError, SimConfigError, SimError, SimMirrorError, SimProbeError, SimTupleError } from "./errors.ts";
export {
  createSimFabric,
  type SimFabric,
  type SimFabricOptions,
  type SimRoute,
  type SimRouteHop,
} from "./fabric.ts";
export type { SimFlow, SimOverlay } from "./flow-registry.ts";
export { ecmpBucket, flowHash, lagMemberIndex } from "./hash.ts";
export type { SimMirrorSession } from "./mirror-sessions.ts";
export { type RandomSource, seededRandom } from "./random.ts";
