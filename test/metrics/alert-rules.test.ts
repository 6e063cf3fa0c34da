// deploy/prometheus/alerts.yaml names only metrics the platform exports: every metric an
// alert expression reads must be a family in /metrics of a process running every role
// (histogram series by their _bucket/_sum/_count names). An alert on a misspelt or
// renamed metric would never fire; this fails instead.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.ts";
import { scrape } from "./exposition.ts";

const RULES_FILE = path.resolve(import.meta.dirname, "../../deploy/prometheus/alerts.yaml");

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules = (): Rule[] => {
  const file = parse(readFileSync(RULES_FILE, "utf8")) as { groups: Array<{ rules: Rule[] }> };
  return file.groups.flatMap((group) => group.rules);
};

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan"]);

/** The metric names a PromQL expression reads (not functions, labels, keywords, strings). */
function metricNames(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = text.slice((match.index ?? 0) + match[0].length).trimStart();
    if (after.startsWith("(") || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform({ roles: { api: true, scheduler: true, worker: true } });
});
afterAll(async () => platform?.stop());

describe("alert rules", () => {
  it("finds metric names in an expression, and only them", () => {
    expect(
      metricNames(
        'sum by (tenant) (rate(autoscorer_x_total{outcome="a b"}[5m])) / on (tenant) autoscorer_y > 0.5 and max_over_time(up[1m]) == bool 1',
      ).sort(),
    ).toEqual(["autoscorer_x_total", "autoscorer_y", "up"]);
  });

  it("are complete rules: a unique name, a severity, a summary and a description", () => {
    const all = rules();
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(new Set(all.map((r) => r.alert)).size).toBe(all.length);
    for (const rule of all) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^AutoScorer[A-Za-z]+$/);
      expect(rule.expr?.trim(), rule.alert).toBeTruthy();
      expect(["page", "warning"], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
  });

  it("read only metrics that /metrics exports", async () => {
    const { types } = await scrape(platform.url as string);
    const exported = (name: string) => {
      if (types.has(name)) return true;
      const base = name.replace(/_(bucket|sum|count)$/, "");
      return base !== name && types.get(base) === "histogram";
    };
    const referenced = new Set(rules().flatMap((rule) => metricNames(rule.expr ?? "")));
    expect([...referenced].filter((name) => !exported(name))).toEqual([]);
    // The alerts the operations guide promises, each on the metric it is about.
    for (const name of [
      "autoscorer_graphql_operations_total",
      "autoscorer_queue_oldest_wait_seconds",
      "autoscorer_executor_usable_nodes",
      "autoscorer_executor_circuit_state",
      "autoscorer_webhook_deliveries_total",
    ]) {
      expect(referenced).toContain(name);
    }
  });
});
