/**
 * What hopd is asked about: a flow (5-tuple) or a VXLAN tunnel (its outer tuple), as the agent's probe targets
 * (src/probe/transport.ts), validated from JSON. The packet-level tuple of a target is what the kernel routes and what
 * counters and mirrors match: for a tunnel the outer UDP tuple to port 4789.
 */
import { z } from "zod";
import type { ProbeTarget } from "../probe/transport.ts";
import { HopdError } from "./errors.ts";

const ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, {
  error: "expected a dotted-quad IPv4 address",
});
const port = z.number().int().min(0).max(65535);

/** Zod schema of a probe target in hopd requests (the agent's `ProbeTarget`). */
export const targetSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("flow"),
    flow: z.strictObject({ src: ipv4, dst: ipv4, proto: z.enum(["tcp", "udp"]), sport: port, dport: port }),
    checksum: z.boolean().default(true),
  }),
  z.strictObject({
    kind: z.literal("tunnel"),
    tunnel: z.strictObject({
      src: ipv4,
      dst: ipv4,
      sport: port,
      vnid: z.number().int().min(0).max(0xffffff),
      appsrc: ipv4,
      appdst: ipv4,
      appsmac: z.string(),
      appdmac: z.string(),
    }),
  }),
]);

export { ipv4 as ipv4Schema };

/** The IP-level 5-tuple packets of a target carry. */
export interface PacketTuple {
  src: string;
  dst: string;
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
}

/** VXLAN's IANA port: the outer destination port of a tunnel. */
export const VXLAN_PORT = 4789;

/** The packet tuple of a target (the outer tuple of a tunnel). */
export function packetTuple(target: ProbeTarget): PacketTuple {
  if (target.kind === "flow") return { ...target.flow };
  const t = target.tunnel;
  return { src: t.src, dst: t.dst, proto: "udp", sport: t.sport, dport: VXLAN_PORT };
}

/** A stable key of a target (its packet tuple; tunnels add the VNI), for counters and mirror sessions. */
export function targetKey(target: ProbeTarget): string {
  const t = packetTuple(target);
  const base = `${t.proto}:${t.src}:${t.sport}>${t.dst}:${t.dport}`;
  return target.kind === "tunnel" ? `${base}:vni${target.tunnel.vnid}` : base;
}

/** Formats zod issues as one line: `path: message; …`. */
export function issuesLine(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
}

/**
 * Validates `value` with `schema`.
 * @throws HopdError `ERR_HOPD_BAD_REQUEST` with every problem on one line.
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new HopdError("ERR_HOPD_BAD_REQUEST", `bad ${what}: ${issuesLine(r.error)}`);
  return r.data;
}
