/**
 * packaging/prometheus/flowlens-alerts.yml: the alert rules docs/operations.md proposes are well-formed Prometheus rule
 * groups (every rule an alert with an expression, a severity and a summary), their names are unique, and every
 * `flowlens_*` metric their expressions read is one that flowlens registers (found in src/, counting the `_total`,
 * `_per_second`, `_peak_per_second` and histogram `_bucket` series derived from a registered name). No `promtool` on
 * this machine: this is the check that keeps the rules in step with the code.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Rule {
  alert?: unknown;
  expr?: unknown;
  for?: unknown;
  labels?: { severity?: unknown };
  annotations?: { summary?: unknown; description?: unknown };
}

function sourceText(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) text += sourceText(path);
    else if (entry.endsWith(".ts")) text += readFileSync(path, "utf8");
  }
  return text;
}

const rules = YAML.parse(readFileSync(join(ROOT, "packaging/prometheus/flowlens-alerts.yml"), "utf8")) as {
  groups: { name: string; rules: Rule[] }[];
};

describe("packaging/prometheus/flowlens-alerts.yml", () => {
  it("is rule groups of alerts with an expression, a severity and a summary, names unique", () => {
    assert.ok(rules.groups.length > 0);
    const names = new Set<string>();
    for (const group of rules.groups) {
      assert.match(group.name, /^flowlens-/);
      assert.ok(group.rules.length > 0, group.name);
      for (const rule of group.rules) {
        assert.equal(typeof rule.alert, "string", `${group.name}: alert name`);
        assert.ok(!names.has(rule.alert as string), `duplicate alert ${rule.alert}`);
        names.add(rule.alert as string);
        assert.equal(typeof rule.expr, "string", `${rule.alert}: expr`);
        assert.ok(["critical", "warning", "info"].includes(rule.labels?.severity as string), `${rule.alert}: severity`);
        assert.equal(typeof rule.annotations?.summary, "string", `${rule.alert}: summary`);
        if (rule.for !== undefined) assert.match(String(rule.for), /^\d+[smh]$/, `${rule.alert}: for`);
        const open = (rule.expr as string).split("(").length;
        assert.equal(open, (rule.expr as string).split(")").length, `${rule.alert}: parentheses balance`);
      }
    }
  });

  it("reads only metrics that flowlens registers", () => {
    const src = sourceText(join(ROOT, "src"));
    const used = new Set<string>();
    for (const group of rules.groups) {
      for (const rule of group.rules)
        for (const m of (rule.expr as string).matchAll(/\bflowlens_[a-z0-9_]+/g)) used.add(m[0]);
    }
    assert.ok(used.size >= 15, `only ${used.size} metrics used`);
    for (const name of used) {
      const stem = name.replace(/^flowlens_/, "");
      const candidates = [stem, stem.replace(/_(total|bucket|per_second|peak_per_second)$/, "")];
      const found = candidates.some(
        (c) => src.includes(`"${c}"`) || src.includes(`"${c}_total"`) || src.includes(`stem: "${c}"`),
      );
      assert.ok(found, `${name} is not registered anywhere in src/`);
    }
  });
});
