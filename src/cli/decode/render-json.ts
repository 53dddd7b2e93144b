/**
 * `flowlens decode --json`: one JSON object per datagram: the header fields by their protocol names, then `records`,
 * each with its scheme's fields (addresses as dotted quads, padding and reserved fields left out) plus `firstTime` and
 * `lastTime` in ISO-8601 UTC. Datagrams read from captures add `exporter` (`addr:port` of the sender).
 *
 * The text is built directly rather than through JSON.stringify of intermediate objects: every value is a number or a
 * string without characters that need escaping (dotted quads, ISO times, `addr:port`), and this is the hot path of
 * decoding large captures.
 */
import { formatIsoMillis } from "../../wire/calendar.ts";
import { ipv4ToString } from "../../wire/ipv4-address.ts";
import type { NetflowDatagram } from "../../wire/netflow.ts";
import { netflowExportTimeMs, netflowUptimeAgeMs } from "../../wire/netflow-time.ts";
import type { DecodedEvent } from "./inputs.ts";
import { ADDRESS_FIELDS, FILLER_FIELDS } from "./record-view.ts";

function headerText(d: NetflowDatagram): string {
  const h = d.header;
  const tail =
    h.version === 5
      ? `"samplingMode":${h.samplingMode},"samplingInterval":${h.samplingInterval}`
      : `"aggregation":${h.aggregation},"aggVersion":${h.aggVersion}`;
  return (
    `{"version":${h.version},"count":${h.count},"sysUptime":${h.sysUptime},"unixSecs":${h.unixSecs},` +
    `"unixNsecs":${h.unixNsecs},"flowSequence":${h.flowSequence},"engineType":${h.engineType},` +
    `"engineId":${h.engineId},${tail}`
  );
}

/** Per-field writers of one record layout: `"name":` and whether the value is an address. */
interface FieldPlan {
  key: string;
  prefix: string;
  address: boolean;
}

function planFor(record: object): FieldPlan[] {
  const plan: FieldPlan[] = [];
  for (const key of Object.keys(record)) {
    if (FILLER_FIELDS.has(key)) continue;
    plan.push({ key, prefix: `"${key}":`, address: ADDRESS_FIELDS.has(key) });
  }
  return plan;
}

/** One output line (no newline) for a decoded datagram. */
export function renderJsonLine(event: DecodedEvent): string {
  const d = event.datagram;
  const records = d.records as unknown as Record<string, number>[];
  let out = headerText(d);
  if (event.exporter !== undefined) out += `,"exporter":${JSON.stringify(event.exporter)}`;
  out += ',"records":[';
  const plan = records.length > 0 ? planFor(records[0]) : [];
  const exportMs = netflowExportTimeMs(d.header);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    let rec = i === 0 ? "{" : ",{";
    for (let f = 0; f < plan.length; f++) {
      const p = plan[f];
      const v = r[p.key];
      rec += (f === 0 ? "" : ",") + p.prefix + (p.address ? `"${ipv4ToString(v)}"` : v);
    }
    const first = formatIsoMillis(exportMs - netflowUptimeAgeMs(d.header, r.first));
    const last = r.last === r.first ? first : formatIsoMillis(exportMs - netflowUptimeAgeMs(d.header, r.last));
    out += `${rec},"firstTime":"${first}","lastTime":"${last}"}`;
  }
  return `${out}]}`;
}
