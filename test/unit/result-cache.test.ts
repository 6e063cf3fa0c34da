// The worker's result cache: lookups that arrive together share one statement, each caller
// gets its own key's Result (or null), and cache keys are the same for a file read in one
// synchronous call and one read in chunks.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/sql.ts";
import { createResultCache, resultCacheKey } from "../../src/domain/jobs/result-cache.ts";
import type { Result } from "../../src/scorers/index.ts";

const result = (score: number) => ({ summary: { score } }) as unknown as Result;

/** A database that knows two keys and records the key lists it was asked for. */
function fakeSql(): { sql: Sql; asked: string[][] } {
  const stored = new Map([
    ["a", result(1)],
    ["b", result(2)],
  ]);
  const asked: string[][] = [];
  const sql = {
    query: async (config: pg.QueryConfig) => {
      const keys = (config.values?.[0] ?? []) as string[];
      asked.push(keys);
      const rows = keys.flatMap((key) => {
        const hit = stored.get(key);
        return hit ? [{ key, result: hit }] : [];
      });
      return { rows } as unknown as pg.QueryResult;
    },
  } as unknown as Sql;
  return { sql, asked };
}

describe("result cache", () => {
  it("answers lookups that arrive together with one statement", async () => {
    const { sql, asked } = fakeSql();
    const cache = createResultCache(sql);
    const answers = await Promise.all(["a", "b", "missing", "b"].map((key) => cache.lookup(key)));
    expect(answers).toEqual([result(1), result(2), null, result(2)]);
    // The first leaves at once; the three that came while it was in flight leave together,
    // the repeated key asked for once.
    expect(asked).toEqual([["a"], ["b", "missing"]]);
  });

  it("gives the same key for a small file and a large one of the same bytes", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cache-key-"));
    const rows = Array.from({ length: 40_000 }, (_, i) => `${i},label-${i % 7}`).join("\n");
    const big = `id,label\n${rows}\n`; // above the synchronous-read size
    const write = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const inputs = (gtPath: string, predPath: string) => ({
      scorer: "classification_f1",
      version: "1",
      params: { b: 1, a: 2 },
      gtPath,
      predPath,
    });
    const small = write("small.csv", "id,label\n1,a\n");
    const large = write("large.csv", big);
    const again = write("large-copy.csv", big);
    const key = await resultCacheKey(inputs(small, large));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await resultCacheKey(inputs(small, again))).toBe(key);
    expect(await resultCacheKey({ ...inputs(small, again), params: { a: 2, b: 1 } })).toBe(key);
    expect(await resultCacheKey(inputs(large, small))).not.toBe(key);
    await expect(resultCacheKey(inputs(small, path.join(dir, "none.csv")))).rejects.toThrow();
  });
});
