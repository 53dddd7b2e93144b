/**
 * The network-namespace lab (`src/netlab/`): topology files, the address plan, and `up`/`down`/`show`/`exec`.
 */
export * from "./errors.ts";
export * from "./lab.ts";
export * from "./plan.ts";
export * from "./state.ts";
export * from "./topology.ts";
export * from "./service-config.ts";
export * from "./services.ts";
