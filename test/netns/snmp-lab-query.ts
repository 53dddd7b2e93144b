/**
 * Runs SNMP provider queries from inside a lab namespace (the test process itself lives in the root namespace, which
 * has no route into the lab): `ip netns exec NS node --import tsx snmp-lab-query.ts '<json ops>'` prints one JSON
 * array, one answer per op. Ops: `{ op: "hop", host, credentials, responder, nextResponder?, dst }` (the provider's
 * HopTelemetry or `{ error, code }`) and `{ op: "tables", host, credentials }` (the device's raw tables as the
 * provider read them).
 */
import { formatPrefix } from "../../src/telemetry/address-match.ts";
import type { SnmpTarget } from "../../src/telemetry/snmp/client.ts";
import { NetSnmpClient } from "../../src/telemetry/snmp/client.ts";
import { SnmpDevice } from "../../src/telemetry/snmp/device.ts";
import { SnmpProvider } from "../../src/telemetry/snmp/snmp-provider.ts";

type Op =
  | {
      op: "hop";
      host: string;
      credentials: SnmpTarget["credentials"];
      responder: string;
      nextResponder?: string;
      dst: string;
    }
  | { op: "tables"; host: string; credentials: SnmpTarget["credentials"] };

async function run(op: Op): Promise<unknown> {
  try {
    if (op.op === "hop") {
      const provider = new SnmpProvider({
        devices: [{ match: ["0.0.0.0/0"], host: op.host, credentials: op.credentials }],
        timeoutMs: 5000,
      });
      try {
        return await provider.hop({
          responder: op.responder,
          target: {
            kind: "flow",
            flow: { src: "10.1.1.11", dst: op.dst, proto: "udp", sport: 1, dport: 2 },
            checksum: true,
          },
          bwIngress: false,
          ...(op.nextResponder === undefined ? {} : { nextResponder: op.nextResponder }),
        });
      } finally {
        await provider.close();
      }
    }
    const device = new SnmpDevice(
      new NetSnmpClient({ host: op.host, credentials: op.credentials, requestTimeoutMs: 2000 }),
    );
    try {
      const [identity, interfaces, addresses, routes] = await Promise.all([
        device.identity.read(5000),
        device.interfaces.read(5000),
        device.addresses.read(5000),
        device.routes.read(5000),
      ]);
      return {
        identity: identity.value,
        interfaces: [...interfaces.value.values()],
        addresses: addresses.value,
        routes: routes.value.map((r) => ({ prefix: formatPrefix(r.prefix), nextHop: r.nextHop, ifIndex: r.ifIndex })),
      };
    } finally {
      device.close();
    }
  } catch (e) {
    return { error: (e as Error).message, code: (e as { code?: string }).code };
  }
}

const ops = JSON.parse(process.argv[2] ?? "[]") as Op[];
const out = [];
for (const op of ops) out.push(await run(op));
process.stdout.write(`${JSON.stringify(out)}\n`);
