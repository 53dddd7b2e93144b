/**
 * `flowlens decode --json`: one JSON object per datagram: the header fields by their protocol names, then `records`,
 * each with its scheme's fields (addresses as dotted quads, padding and reserved fields left out) plus `firstTime` and
 * `lastTime` in ISO-8601 UTC. Datagrams read from captures add `exporter` (`addr:port` of the sender).
 */
import { ipv4ToString } from "../../wire/ipv4-address.ts";
import type { NetflowDatagram } from "../../wire/netflow.ts";
import { netflowUptimeToEpochMs } from "../../wire/netflow-time.ts";
import type { DecodedEvent } from "./inputs.ts";
import { ADDRESS_FIELDS, FILLER_FIELDS } from "./record-view.ts";

function headerJson(d: NetflowDatagram): Record<string, unknown> {
  const h = d.header;
  const out: Record<string, unknown> = {
    version: h.version,
    count: h.count,
    sysUptime: h.sysUptime,
    unixSecs: h.unixSecs,
    unixNsecs: h.unixNsecs,
    flowSequence: h.flowSequence,
    engineType: h.engineType,
    engineId: h.engineId,
  };
  if (h.version === 5) {
    out.samplingMode = h.samplingMode;
    out.samplingInterval = h.samplingInterval;
  } else {
    out.aggregation = h.aggregation;
    out.aggVersion = h.aggVersion;
  }
  return out;
}

function recordJson(d: NetflowDatagram, record: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (FILLER_FIELDS.has(key)) continue;
    out[key] = ADDRESS_FIELDS.has(key) ? ipv4ToString(value as number) : value;
  }
  const r = record as { first: number; last: number };
  out.firstTime = new Date(netflowUptimeToEpochMs(d.header, r.first)).toISOString();
  out.lastTime = new Date(netflowUptimeToEpochMs(d.header, r.last)).toISOString();
  return out;
}

/** The JSON value of one decoded datagram. */
export function datagramJson(event: DecodedEvent): Record<string, unknown> {
  const d = event.datagram;
  const out = headerJson(d);
  if (event.exporter !== undefined) out.exporter = event.exporter;
  out.records = (d.records as object[]).map((r) => recordJson(d, r));
  return out;
}

/** One output line (no newline) for a decoded datagram. */
export function renderJsonLine(event: DecodedEvent): string {
  return JSON.stringify(datagramJson(event));
}
