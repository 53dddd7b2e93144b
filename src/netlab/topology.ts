/**
 * The lab topology file: how many leaves, spines and hosts per leaf, and the VXLAN overlay of the hosts. YAML, validated
 * by zod with unknown keys rejected; see `docs/netlab.md` for the format.
 */
import { z } from "zod";
import { ConfigError, loadConfig } from "../runtime/index.ts";
import { LabError } from "./errors.ts";

/** Default VXLAN network identifier of the host VTEPs. */
export const DEFAULT_VNI = 100;
/** The IANA VXLAN UDP port (RFC 7348), used by the host VTEPs unless the topology says otherwise. */
export const VXLAN_PORT = 4789;

const vxlanSchema = z.strictObject({
  vni: z.number().int().min(1).max(0xffffff).default(DEFAULT_VNI),
  port: z.number().int().min(1).max(65535).default(VXLAN_PORT),
});

/** Schema of a topology file. Limits follow the address plan (one /24 per leaf, one 10.0.<link>.0/31 per link). */
export const topologySchema = z
  .strictObject({
    leaves: z.number().int().min(1).max(250).default(2),
    spines: z.number().int().min(1).max(250).default(2),
    hostsPerLeaf: z.number().int().min(0).max(200).default(1),
    vxlan: z.union([z.literal(false), vxlanSchema]).default({ vni: DEFAULT_VNI, port: VXLAN_PORT }),
  })
  .refine((t) => t.leaves * t.spines <= 256, { message: "leaves × spines must be at most 256 (10.0.<link>.0/31)" })
  .refine((t) => t.leaves * t.hostsPerLeaf <= 250, { message: "at most 250 hosts in all (overlay 10.2.0.<n>/24)" });

/** A validated topology: counts of each role and the overlay settings (`false` for no VTEPs). */
export type LabTopology = z.output<typeof topologySchema>;

/** The default lab: two hosts, two leaves, two spines, VTEPs on VNI 100. */
export const DEFAULT_TOPOLOGY: LabTopology = Object.freeze({
  leaves: 2,
  spines: 2,
  hostsPerLeaf: 1,
  vxlan: Object.freeze({ vni: DEFAULT_VNI, port: VXLAN_PORT }),
});

/**
 * Reads a topology from `file` (or from `text`, `file` then naming it in messages); environment overrides do not apply.
 * @throws LabError `ERR_LAB_TOPOLOGY` with every problem as `path: message`, joined by `; ` on one line.
 */
export function loadTopology(source: { file?: string; text?: string }): LabTopology {
  try {
    return loadConfig({ schema: topologySchema, file: source.file, text: source.text, env: {} });
  } catch (e) {
    if (e instanceof ConfigError) {
      const where = source.file ?? "topology";
      throw new LabError("ERR_LAB_TOPOLOGY", `${where}: ${e.message.split("\n").join("; ")}`, { cause: e });
    }
    throw e;
  }
}
