/**
 * `flowlens decode [--json] [--port N] [--mask-order default|caida] FILE...`: prints the NetFlow v5/v8 datagrams in
 * captures or raw datagram files. Exit status: 0 when every datagram decoded, 1 when any was rejected (each rejection is
 * one line on stderr), 2 for usage errors.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { LineWriter } from "../output.ts";
import { type RejectedEvent, readNetflowInputs } from "./inputs.ts";
import { renderJsonLine } from "./render-json.ts";
import { TEXT_COLUMNS, renderTextLines } from "./render-text.ts";

/** Options as commander parses them. */
interface DecodeOptions {
  json?: boolean;
  port?: number;
  maskOrder: "default" | "caida";
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new InvalidArgumentError("a UDP port is 1 to 65535");
  return n;
}

/** The one-line stderr report of a rejected datagram or file. */
export function rejectionLine(r: RejectedEvent): string {
  const where = r.index > 0 ? ` datagram #${r.index}` : "";
  const at = r.offset === undefined ? "" : ` at ${r.offsetInFile ? "file" : "datagram"} byte ${r.offset}`;
  return `flowlens decode: ${r.file}${where}: ${r.code}${at}: ${r.message}`;
}

async function runDecode(files: string[], options: DecodeOptions): Promise<number> {
  const out = new LineWriter(process.stdout);
  let rejected = 0;
  let headed = false;
  const inputs = readNetflowInputs(files, { port: options.port, maskOrder: options.maskOrder });
  for await (const event of inputs) {
    if (event.kind === "rejected") {
      rejected++;
      await out.flush(); // keep stdout and stderr in order on a terminal
      process.stderr.write(`${rejectionLine(event)}\n`);
      continue;
    }
    if (options.json) {
      await out.line(renderJsonLine(event));
      continue;
    }
    if (!headed) {
      await out.line(TEXT_COLUMNS);
      headed = true;
    }
    for (const line of renderTextLines(event)) await out.line(line);
    if (out.closed) break;
  }
  await out.flush();
  return rejected > 0 ? 1 : 0;
}

/** Adds the `decode` command to `program`; its action sets `process.exitCode`. */
export function registerDecodeCommand(program: Command): void {
  program
    .command("decode")
    .description("print the NetFlow v5/v8 datagrams in pcap/pcapng captures or raw datagram files")
    .argument("<file...>", "pcap or pcapng capture, or a file of NetFlow datagrams laid end to end")
    .option("--json", "one JSON object per datagram per line")
    .option("--port <n>", "take the UDP datagrams to or from this port (default: any that decodes as v5/v8)", parsePort)
    .addOption(
      new Option("--mask-order <order>", "mask byte order of v8 schemes 5, 13, 14")
        .choices(["default", "caida"])
        .default("default"),
    )
    .action(async (files: string[], options: DecodeOptions) => {
      process.exitCode = await runDecode(files, options);
    });
}
