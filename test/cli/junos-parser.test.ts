/**
 * The Junos-style command line: unique-prefix abbreviation, ambiguity and unknown words as one-line errors listing the
 * choices, `?` completions, parameters in any order, and pipes in their quoted forms.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COLLECTOR_COMMANDS } from "../../src/cli/collector/collector-grammar.ts";
import { CommandGrammar } from "../../src/cli/junos/command-parser.ts";
import { formatCompletions } from "../../src/cli/junos/completions.ts";
import type { ParseOutcome } from "../../src/cli/junos/grammar.ts";
import { JunosSyntaxError } from "../../src/cli/junos/junos-errors.ts";
import { matchKeyword } from "../../src/cli/junos/keyword-match.ts";
import { applyPipes, splitCommandLine, tokenizeWords, wantsJson } from "../../src/cli/junos/pipes.ts";

const grammar = new CommandGrammar(COLLECTOR_COMMANDS);
const parse = (line: string) => grammar.parse(line.split(" "));

function command(line: string): { id: string; values: Record<string, string> } {
  const outcome = parse(line);
  assert.equal(outcome.kind, "command", line);
  const c = (outcome as ParseOutcome & { kind: "command" }).command;
  return { id: c.spec.id, values: Object.fromEntries(c.values) };
}

function completions(line: string): string[] {
  const outcome = parse(line);
  assert.equal(outcome.kind, "help", line);
  return (outcome as ParseOutcome & { kind: "help" }).completions.map((c) => c.name);
}

function syntaxError(line: string): string {
  try {
    parse(line);
  } catch (e) {
    assert.ok(e instanceof JunosSyntaxError, String(e));
    assert.equal(e.code, "ERR_JUNOS_SYNTAX");
    assert.doesNotMatch(e.message, /\n/);
    return e.message;
  }
  assert.fail(`${line} parsed`);
}

describe("matchKeyword", () => {
  it("prefers an exact word, else the one keyword with the prefix", () => {
    assert.deepEqual(matchKeyword("in", ["input", "in", "interface"]), { kind: "match", word: "in" });
    assert.deepEqual(matchKeyword("inp", ["input", "interface"]), { kind: "match", word: "input" });
    assert.deepEqual(matchKeyword("in", ["interface", "input"]), {
      kind: "ambiguous",
      matches: ["input", "interface"],
    });
    assert.deepEqual(matchKeyword("x", ["input"]), { kind: "none" });
    assert.deepEqual(matchKeyword("", ["input"]), { kind: "none" });
  });
});

describe("the flow collector grammar", () => {
  it("takes full words", () => {
    assert.deepEqual(command("show services flow-collector interface all detail"), {
      id: "show-interface",
      values: { interface: "all", level: "detail" },
    });
    assert.deepEqual(command("show services flow-collector"), { id: "show-interface", values: {} });
  });

  it("takes unique prefixes of every keyword (sh ser flow int all det)", () => {
    assert.deepEqual(command("show ser flow int all det"), {
      id: "show-interface",
      values: { interface: "all", level: "detail" },
    });
    assert.deepEqual(command("show s f inp int cp-6/0/0 e"), {
      id: "show-input",
      values: { interface: "cp-6/0/0", level: "extensive" },
    });
    assert.deepEqual(command("show s f fi int cp-6/0/0 t"), {
      id: "show-file",
      values: { interface: "cp-6/0/0", level: "terse" },
    });
  });

  it("does not abbreviate values: a name that prefixes 'all' is a name", () => {
    assert.deepEqual(command("show s f int a").values, { interface: "a" });
    assert.deepEqual(command("show s f int terse").values, { interface: "terse" });
  });

  it("takes parameters in any order, as the spec writes them", () => {
    assert.deepEqual(command("request services flow-collector change-destination interface cp-6/0/0 primary"), {
      id: "change-destination",
      values: { interface: "cp-6/0/0", server: "primary" },
    });
    assert.deepEqual(command("req ser flow ch sec int cp-6/0/0 imm clear-f clear-l"), {
      id: "change-destination",
      values: {
        server: "secondary",
        interface: "cp-6/0/0",
        mode: "immediately",
        "clear-files": "clear-files",
        "clear-logs": "clear-logs",
      },
    });
    assert.deepEqual(
      command("request services flow-collector test-file-transfer test_file interface cp-6/0/0 channel-one primary"),
      {
        id: "test-file-transfer",
        values: { file: "test_file", interface: "cp-6/0/0", channel: "channel-one", server: "primary" },
      },
    );
  });

  it("takes a test file name that looks like a keyword: it is positional", () => {
    assert.equal(command("request s f test-file-transfer primary int cp-6/0/0 channel-z sec").values.file, "primary");
  });

  it("clear statistics: interface NAME, interface all, or all", () => {
    assert.deepEqual(command("clear services flow-collector statistics interface all").values, { interface: "all" });
    assert.deepEqual(command("clear s f s int cp-6/0/0").values, { interface: "cp-6/0/0" });
    assert.deepEqual(command("clear s f s all").values, { interface: "all" });
  });

  it("reports an ambiguous word with its choices", () => {
    assert.equal(syntaxError("show s f in"), "'in' is ambiguous (choices: input, interface)");
    assert.equal(
      syntaxError("request s f ch pri int x clear-"),
      "'clear-' is ambiguous (choices: clear-files, clear-logs)",
    );
    assert.equal(
      syntaxError("request s f test x int y channel-"),
      "'channel-' is ambiguous (choices: channel-one, channel-zero)",
    );
  });

  it("reports an unknown word with what was expected", () => {
    assert.equal(
      syntaxError("show s f bogus"),
      "syntax error at 'bogus' (choices: detail, extensive, file, input, interface, terse)",
    );
    assert.equal(syntaxError("show s f det det"), "syntax error at 'det' (choices: interface)");
    assert.equal(syntaxError("show x"), "syntax error at 'x' (choices: services)");
  });

  it("reports missing words and values", () => {
    assert.equal(syntaxError("show services"), "incomplete command (choices: flow-collector)");
    assert.equal(syntaxError("show s f input"), "missing argument (choices: interface)");
    assert.equal(syntaxError("show s f int"), "missing <interface-name> after 'interface'");
    assert.equal(syntaxError("request s f ch int cp-6/0/0"), "missing argument (choices: primary, secondary)");
    assert.equal(syntaxError("request s f test-file-transfer"), "missing <filename> after 'test-file-transfer'");
    assert.equal(syntaxError("clear s f stat"), "missing argument (choices: all, interface)");
    assert.equal(
      syntaxError("clear s f stat all int x"),
      "syntax error at 'int'",
      "all and interface exclude each other",
    );
  });

  it("lists the completions at each point for ?", () => {
    assert.deepEqual(completions("show ?"), ["services"]);
    assert.deepEqual(completions("show services flow-collector ?"), [
      "<[Enter]>",
      "detail",
      "extensive",
      "file",
      "input",
      "interface",
      "terse",
      "|",
    ]);
    assert.deepEqual(completions("show s f int ?"), ["<interface-name>", "all"]);
    assert.deepEqual(completions("show s f int all ?"), ["<[Enter]>", "detail", "extensive", "terse", "|"]);
    assert.deepEqual(completions("show s f input ?"), ["detail", "extensive", "interface", "terse"], "no Enter yet");
    assert.deepEqual(completions("request s f ?"), ["change-destination", "test-file-transfer"]);
    assert.deepEqual(completions("request s f test-file-transfer ?"), ["<filename>"]);
    assert.deepEqual(completions("request s f ch primary ?"), [
      "clear-files",
      "clear-logs",
      "gracefully",
      "immediately",
      "interface",
    ]);
  });

  it("lists the completions of a prefix for word?", () => {
    assert.deepEqual(completions("show s f in?"), ["input", "interface"]);
    assert.deepEqual(completions("show s f e?"), ["extensive"]);
    assert.match(syntaxError("show s f zz?"), /^syntax error at 'zz' \(choices: /);
  });

  it("prints completions in the Junos layout", () => {
    const outcome = parse("show s f int all ?");
    assert.equal(outcome.kind, "help");
    assert.deepEqual(formatCompletions(outcome.kind === "help" ? outcome.completions : []), [
      "Possible completions:",
      "  <[Enter]>            Execute this command",
      "  detail               Display detailed output",
      "  extensive            Display extensive output",
      "  terse                Display terse output",
      "  |                    Pipe through a command",
    ]);
  });

  it("rejects a grammar with two commands on one path", () => {
    assert.throws(() => new CommandGrammar([COLLECTOR_COMMANDS[0]!, COLLECTOR_COMMANDS[0]!]), TypeError);
  });
});

describe("pipes", () => {
  it("splits '|' words, one-word pipes and glued bars alike", () => {
    const forms = [
      ["show", "s", "|", "display", "json"],
      ["show", "s", "| display json"],
      ["show", "s", "|display", "json"],
      ["show", "s", "|", "disp", "j"],
    ];
    for (const argv of forms) {
      const line = splitCommandLine(argv);
      assert.deepEqual(line.command, ["show", "s"], argv.join(" "));
      assert.deepEqual(line.stages, [{ kind: "display-json" }], argv.join(" "));
      assert.ok(wantsJson(line.stages));
    }
  });

  it("keeps a | inside a pattern word", () => {
    assert.deepEqual(tokenizeWords(["a", "|", "match", "Packets|Bytes"]), ["a", "|", "match", "Packets|Bytes"]);
    assert.deepEqual(tokenizeWords(["a", "| match Packets|Bytes"]), ["a", "|", "match", "Packets|Bytes"]);
  });

  it("chains match, except and count in order", () => {
    const lines = ["Packets: 1", "Bytes: 2", "Flow records processed: 3", "FTP bytes: 4"];
    const { stages } = splitCommandLine(["x", "| match bytes", "| except ftp"]);
    assert.deepEqual(applyPipes(lines, stages), ["Bytes: 2"], "match is case-insensitive");
    assert.deepEqual(applyPipes(lines, splitCommandLine(["x", "|", "match", "Packets|Bytes", "|", "count"]).stages), [
      "Count: 3 lines",
    ]);
    assert.deepEqual(applyPipes(lines, splitCommandLine(["x", "| no-more"]).stages), lines);
  });

  it("offers pipe completions and rejects bad stages", () => {
    assert.deepEqual(
      splitCommandLine(["x", "|", "?"]).help?.map((c) => c.name),
      ["count", "display", "except", "match", "no-more"],
    );
    assert.deepEqual(
      splitCommandLine(["x", "| display ?"]).help?.map((c) => c.name),
      ["json"],
    );
    assert.deepEqual(
      splitCommandLine(["x", "| match ?"]).help?.map((c) => c.name),
      ["<pattern>"],
    );
    assert.throws(() => splitCommandLine(["x", "| display xml"]), /syntax error at 'xml' \(choices: json\)/);
    assert.throws(() => splitCommandLine(["x", "| match"]), /missing <pattern> after 'match'/);
    assert.throws(() => splitCommandLine(["x", "| match ("]), /invalid pattern '\('/);
    assert.throws(() => splitCommandLine(["x", "|"]), /missing pipe command/);
    assert.throws(
      () => splitCommandLine(["x", "| bogus"]),
      /syntax error at 'bogus' \(choices: count, display, except, match, no-more\)/,
    );
    assert.throws(() => splitCommandLine(["x", "| count 3"]), /syntax error at '3'/);
  });
});
