/**
 * Golden outputs of the flow collector's operational commands: each formatter fed the spec's own figures
 * (flow-collector.txt, "Verifying Your Work") must print the Junos layout exactly, and, with indentation and column
 * padding squeezed out, the very lines the spec prints.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatFiles } from "../../src/cli/collector/format-files.ts";
import { formatInputs } from "../../src/cli/collector/format-inputs.ts";
import { formatInterfaces } from "../../src/cli/collector/format-interface.ts";
import { formatRequestResults } from "../../src/cli/collector/format-requests.ts";
import type { InterfaceStatus } from "../../src/collector/status.ts";
import {
  channel,
  drops,
  idleInterface,
  rate,
  specExtensiveInterface,
  specFile,
} from "../helpers/fake-collector-control.ts";

/** What the PDF extraction of the spec kept of a layout: no indentation, single spaces. */
function squeeze(lines: readonly string[]): string {
  return lines.map((l) => l.trim().replace(/ {2,}/g, " ")).join("\n");
}

const text = (lines: readonly string[]) => `${lines.join("\n")}\n`;

/** cp-6/0/0 as the spec's `interface all detail` output shows it (a few seconds before the extensive one). */
function specDetailInterface(): InterfaceStatus {
  const s = specExtensiveInterface();
  s.input.packets = rate(6736);
  s.input.bytes = rate(9757936);
  s.input.flowRecords = rate(195993);
  s.throughput.uncompressedBytes = rate(21855798);
  s.throughput.compressedBytes = rate(3194148);
  return s;
}

describe("show services flow-collector interface all detail", () => {
  const lines = formatInterfaces([specDetailInterface(), idleInterface("cp-7/0/0")], "detail");

  it("prints the two-line header and the totals in aligned columns", () => {
    assert.equal(
      text(lines),
      `Flow collector interface: cp-6/0/0
  Interface state: Collecting flows
   Packets      Bytes     Flows  Uncompressed  Compressed  FTP bytes  FTP files
                                        Bytes       Bytes
      6736    9757936    195993      21855798     3194148          0          0
Flow collector interface: cp-7/0/0
  Interface state: Collecting flows
   Packets      Bytes     Flows  Uncompressed  Compressed  FTP bytes  FTP files
                                        Bytes       Bytes
         0          0         0             0           0          0          0
`,
    );
  });

  it("is the spec's text once the layout whitespace is squeezed out", () => {
    assert.equal(
      squeeze(lines),
      `Flow collector interface: cp-6/0/0
Interface state: Collecting flows
Packets Bytes Flows Uncompressed Compressed FTP bytes FTP files
Bytes Bytes
6736 9757936 195993 21855798 3194148 0 0
Flow collector interface: cp-7/0/0
Interface state: Collecting flows
Packets Bytes Flows Uncompressed Compressed FTP bytes FTP files
Bytes Bytes
0 0 0 0 0 0 0`,
    );
  });

  it("is also the output without a level", () => {
    assert.deepEqual(formatInterfaces([specDetailInterface()]), formatInterfaces([specDetailInterface()], "detail"));
  });

  it("widens a column for a figure longer than its heading", () => {
    const big = specDetailInterface();
    big.input.bytes = rate(123456789012345);
    const [, , header, , values] = formatInterfaces([big], "detail");
    assert.equal(header!.indexOf("Bytes") + "Bytes".length, values!.indexOf("123456789012345") + 15);
  });
});

const SPEC_EXTENSIVE = `Flow collector interface: cp-6/0/0
  Interface state: Collecting flows
  Memory:
    Used: 19593212, Free: 479528656
  Input:
    Packets: 6658, per second: 0, peak per second: 0
    Bytes: 9647752, per second: 12655, peak per second: 14311
    Flow records processed: 193782, per second: 252, peak per second: 287
  Allocation:
    Blocks allocated: 174, per second: 0, peak per second: 0
    Blocks freed: 0, per second: 0, peak per second: 0
    Blocks unavailable: 0, per second: 0, peak per second: 0
  Files:
    Files created: 1, per second: 0, peak per second: 0
    Files exported: 0, per second: 0, peak per second: 0
    Files destroyed: 0, per second: 0, peak per second: 0
  Throughput:
    Uncompressed bytes: 21075152, per second: 52032, peak per second: 156172
    Compressed bytes: 3079713, per second: 7618, peak per second: 22999
  Packet drops:
    No memory: 0, Not IP: 0
    Not IPv4: 0, Too small: 0
    Fragments: 0, ICMP: 0
    TCP: 0, Unknown: 0
    Not JUNOS flow: 0
  File Transfer:
    FTP bytes: 0, per second: 0, peak per second: 0
    FTP files: 0, per second: 0, peak per second: 0
    FTP failure: 0
  Export channel: 0
    Current server: Secondary
    Primary server state: OK, Secondary server state: OK
  Export channel: 1
    Current server: Secondary
    Primary server state: OK, Secondary server state: OK
`;

describe("show services flow-collector interface cp-6/0/0 extensive", () => {
  it("prints every section of the spec, indented two spaces per level", () => {
    assert.equal(text(formatInterfaces([specExtensiveInterface()], "extensive")), SPEC_EXTENSIVE);
  });

  it("puts each drop counter in its place of the spec's pairs", () => {
    const s = specExtensiveInterface();
    s.drops = drops({ noMemory: 1, notIp: 2, notIpv4: 3, tooSmall: 4, fragments: 5, icmp: 6, tcp: 7, unknown: 8 });
    s.drops.notJunosFlow = 9;
    const lines = formatInterfaces([s], "extensive");
    const at = lines.indexOf("  Packet drops:");
    assert.deepEqual(lines.slice(at + 1, at + 6), [
      "    No memory: 1, Not IP: 2",
      "    Not IPv4: 3, Too small: 4",
      "    Fragments: 5, ICMP: 6",
      "    TCP: 7, Unknown: 8",
      "    Not JUNOS flow: 9",
    ]);
  });

  it("prints a failed or missing server and a failure count", () => {
    const s = specExtensiveInterface();
    s.exportChannels = [
      channel(0, { currentServer: "primary", primaryState: "Failed", secondaryState: "Not configured" }),
    ];
    s.fileTransfer.ftpFailure = 3;
    const out = text(formatInterfaces([s], "extensive"));
    assert.match(out, /\n {4}FTP failure: 3\n {2}Export channel: 0\n {4}Current server: Primary\n/);
    assert.match(out, /\n {4}Primary server state: Failed, Secondary server state: Not configured\n$/);
  });
});

describe("show services flow-collector interface all terse", () => {
  it("prints one line per interface", () => {
    assert.equal(
      text(formatInterfaces([specExtensiveInterface(), idleInterface("cp-7/0/0")], "terse")),
      `Interface    State               Packets        Bytes      Flows
cp-6/0/0     Collecting flows       6658      9647752     193782
cp-7/0/0     Collecting flows          0            0          0
`,
    );
  });
});

describe("show services flow-collector input interface cp-6/0/0", () => {
  it("prints the spec's table (detail and extensive print the same)", () => {
    const inputs = specExtensiveInterface().inputs;
    inputs[0]!.packets = 6170;
    inputs[0]!.bytes = 8941592;
    const lines = formatInputs(inputs);
    assert.equal(
      text(lines),
      `Interface             Packets          Bytes
mo-7/1/0.0               6170        8941592
`,
    );
    assert.equal(squeeze(lines), "Interface Packets Bytes\nmo-7/1/0.0 6170 8941592");
  });
});

describe("show services flow-collector file interface cp-6/0/0", () => {
  const file = specFile();

  it("terse: file name, flows, state", () => {
    const lines = formatFiles([{ ...file, records: rate(185643) }], "terse");
    assert.equal(
      text(lines),
      `File name                                                 Flows State
cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz   185643 Active
`,
    );
    assert.equal(
      squeeze(lines),
      "File name Flows State\ncFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz 185643 Active",
    );
    assert.deepEqual(formatFiles([{ ...file, records: rate(185643) }]), lines, "terse is the default");
  });

  it("detail: throughput and status on one line each", () => {
    const detail = { ...file, records: rate(187067), uncompressedBytes: rate(21121960) };
    assert.equal(
      text(formatFiles([detail], "detail")),
      `Filename: cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz
  Throughput:
    Flow records: 187067, Uncompressed bytes: 21121960, Compressed bytes: 2965643
  Status:
    State: Active, Transfer attempts: 0
`,
    );
  });

  it("extensive: rates, blocks and state", () => {
    assert.equal(
      text(formatFiles([file], "extensive")),
      `Filename: cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz
  Throughput:
    Flow records: 188365, per second: 238, peak per second: 287
    Uncompressed bytes: 21267756, per second: 27007, peak per second: 32526
    Compressed bytes: 2965643, per second: 0, peak per second: 22999
  Status:
    Compressed blocks: 156, Block count: 156
    State: Active, Transfer attempts: 0
`,
    );
  });

  it("prints only the heading when there are no files", () => {
    assert.deepEqual(formatFiles([], "terse"), ["File name    Flows State"]);
    assert.deepEqual(formatFiles([], "extensive"), []);
  });
});

describe("request and clear answers", () => {
  const result = (message: string) => ({
    interface: "cp-6/0/0",
    state: "Collecting flows" as const,
    message,
    refused: false,
  });

  it("change-destination", () => {
    const lines = formatRequestResults([result("Destination change successful")]);
    assert.equal(
      text(lines),
      `Flow collector interface: cp-6/0/0
  Interface state: Collecting flows
  Destination change successful
`,
    );
    assert.equal(
      squeeze(lines).replaceAll("\n", " "),
      "Flow collector interface: cp-6/0/0 Interface state: Collecting flows Destination change successful",
    );
  });

  it("test-file-transfer prefixes the message with Response:", () => {
    const lines = formatRequestResults([result("Test file transfer successfully scheduled")], "Response: ");
    assert.equal(
      squeeze(lines).replaceAll("\n", " "),
      "Flow collector interface: cp-6/0/0 Interface state: Collecting flows Response: Test file transfer successfully scheduled",
    );
    assert.deepEqual(formatRequestResults([result("Response: x")], "Response: ").at(-1), "  Response: x");
  });

  it("clear statistics of all interfaces: one block per interface", () => {
    const lines = formatRequestResults([
      result("Statistics cleared successfully"),
      { ...result("Statistics cleared successfully"), interface: "cp-7/0/0" },
    ]);
    assert.equal(lines.length, 6);
    assert.equal(lines[3], "Flow collector interface: cp-7/0/0");
  });
});
