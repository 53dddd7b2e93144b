/**
 * `flowlens lab up|down|show|exec`: the network-namespace lab (see docs/netlab.md). Needs root for everything but
 * reading the state; errors are one line (`flowlens: ...`) with exit status 1.
 */
import type { Command } from "commander";
import {
  DEFAULT_LAB_PREFIX,
  DEFAULT_TOPOLOGY,
  labDown,
  labExec,
  labShow,
  labUp,
  loadTopology,
  type LabTopology,
  type ShownNode,
} from "../../netlab/index.ts";

interface NameOption {
  name: string;
}

interface UpOptions extends NameOption {
  topology?: string;
  vni?: string;
  /** Commander's negated flags: false with --no-services / --no-analyzer. */
  services: boolean;
  analyzer: boolean;
}

interface ShowOptions extends NameOption {
  json?: boolean;
}

function topologyFrom(options: UpOptions): LabTopology {
  let topology = options.topology === undefined ? DEFAULT_TOPOLOGY : loadTopology({ file: options.topology });
  if (options.vni !== undefined) {
    const vxlan = topology.vxlan === false ? { port: 4789 } : topology.vxlan;
    topology = loadTopology({ text: JSON.stringify({ ...topology, vxlan: { ...vxlan, vni: Number(options.vni) } }) });
  }
  return topology;
}

/** The text of `lab show`: one block per node, one line per interface with its state and IPv4 addresses. */
export function formatShow(nodes: readonly ShownNode[]): string {
  const lines: string[] = [];
  for (const n of nodes) {
    lines.push(`${n.name} (${n.role}, netns ${n.namespace})`);
    for (const i of n.interfaces) {
      lines.push(`  ${i.name.padEnd(10)} ${i.state.padEnd(8)} ${i.addresses.join(" ")}`.trimEnd());
    }
    for (const s of n.services) {
      lines.push(`  [${s.kind}] ${s.listen} pid ${s.pid}${s.running ? "" : " (not running)"}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Adds the `lab` command and its subcommands to `program`. */
export function registerLabCommands(program: Command): void {
  const lab = program.command("lab").description("build and use a lab of network namespaces (leaf-spine, ECMP, VXLAN)");
  const nameOption = [
    "--name <prefix>",
    "lab name: namespace prefix (letters and digits)",
    DEFAULT_LAB_PREFIX,
  ] as const;
  lab
    .command("up")
    .description("build the lab (default: h1, h2, leaf1, leaf2, spine1, spine2, an1; snmpd and hopd in the routers)")
    .option("--topology <file>", "YAML topology file (leaves, spines, hostsPerLeaf, vxlan)")
    .option("--vni <n>", "VXLAN network identifier of the host VTEPs")
    .option("--no-services", "do not start snmpd and hopd in the routers")
    .option("--no-analyzer", "do not add the analyzer host an1")
    .option(...nameOption)
    .action((options: UpOptions) => {
      const state = labUp({
        prefix: options.name,
        topology: topologyFrom(options),
        analyzer: options.analyzer,
        services: { snmpd: options.services, hopd: options.services },
      });
      for (const w of state.warnings) process.stderr.write(`flowlens lab: warning: ${w}\n`);
      const nodes = state.nodes.map((n) => n.name).join(" ");
      process.stdout.write(`lab ${state.prefix} up: ${nodes}\n`);
      const services = state.services ?? [];
      if (services.length > 0) {
        const kinds = [...new Set(services.map((s) => s.kind))].join(" and ");
        process.stdout.write(`services: ${kinds} in ${new Set(services.map((s) => s.node)).size} routers\n`);
      }
      if (state.serviceFiles !== undefined) {
        process.stdout.write(`agent configuration with hop telemetry: ${state.serviceFiles.agentConfig}\n`);
      }
    });
  lab
    .command("down")
    .description("remove everything the lab made")
    .option(...nameOption)
    .action((options: NameOption) => {
      const removed = labDown(options.name);
      process.stdout.write(`lab ${options.name} down: removed ${removed.length} namespaces\n`);
    });
  lab
    .command("show")
    .description("list the lab's nodes, interfaces and addresses")
    .option("--json", "as JSON")
    .option(...nameOption)
    .action((options: ShowOptions) => {
      const nodes = labShow(options.name);
      process.stdout.write(options.json ? `${JSON.stringify(nodes, null, 2)}\n` : formatShow(nodes));
    });
  lab
    .command("exec")
    .description("run a command in a node's namespace: flowlens lab exec NODE -- CMD...")
    .argument("<node>", "node name (h1, leaf1, spine2...)")
    .argument("<command...>", "command and its arguments (after --)")
    .option(...nameOption)
    .action(async (node: string, command: string[], options: NameOption) => {
      process.exitCode = await labExec(node, command, options.name);
    });
}
