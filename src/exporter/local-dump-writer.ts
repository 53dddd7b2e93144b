/**
 * The local dump (spec/cflowd-flow-aggregation.txt, "Debugging cflowd Flow Aggregation", `local-dump`): every
 * datagram sent to a host with `local-dump` is appended to the dump file (`<traceoptions directory>/sampled` by
 * default) in the spec's format, its records first and then its `cflowd header:` block, each line stamped with the
 * send time as syslog shows it (local time of the exporter's time zone). The text is made from the datagram's own
 * bytes, decoded after the header was stamped, so the dump shows exactly what went on the wire (times as the wire
 * carries them: record start and end in uptime milliseconds). Writes are synchronous appends: the spec warns that
 * local-dump "adds extra overhead" and is for debugging.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { formatLocalDumpV5, formatLocalDumpV8, type LocalDumpV8Record } from "../wire/local-dump.ts";
import { decodeNetflowV5 } from "../wire/netflow-v5.ts";
import { decodeNetflowV8, type NetflowV8MaskOrder } from "../wire/netflow-v8.ts";

/** The dump text of one datagram (v5 or v8) sent at `atMs` (epoch ms), in local time at that instant. */
export function localDumpText(bytes: Uint8Array, atMs: number, maskOrder: NetflowV8MaskOrder = "default"): string {
  const time = Math.floor(atMs / 1000);
  const offset = { utcOffsetMinutes: -new Date(time * 1000).getTimezoneOffset() };
  const version = (bytes[0] << 8) | bytes[1];
  if (version === 5) {
    const d = decodeNetflowV5(bytes);
    return formatLocalDumpV5(d.header, d.records, time, offset);
  }
  const d = decodeNetflowV8(bytes, 0, bytes.length, { maskOrder });
  return formatLocalDumpV8(d.header, d.records as unknown as LocalDumpV8Record[], time, offset);
}

/** An open local-dump file, appended to. */
export class LocalDumpWriter {
  /** Path of the dump file. */
  readonly path: string;
  /** Datagrams written. */
  written = 0;
  #fd: number | undefined;

  /** Opens (creates, with its directory) `path` for appending. @throws Node's file errors (EACCES...). */
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.path = path;
    this.#fd = openSync(path, "a");
  }

  /** Appends the dump of one datagram sent at `atMs`. */
  write(bytes: Uint8Array, atMs: number, maskOrder: NetflowV8MaskOrder = "default"): void {
    if (this.#fd === undefined) return;
    writeSync(this.#fd, localDumpText(bytes, atMs, maskOrder));
    this.written++;
  }

  /** Closes the file (later writes are ignored). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
