// Named statements for the hot paths. Postgres parses and plans a named statement once per
// connection and reuses the plan; for the pipeline's large set-based statements that was
// about a sixth of Postgres' CPU per job (BENCHMARKS.md, Scheduler). A prepared plan fixes
// its result columns, so these statements name their columns instead of using `*`: a
// column added by a migration while processes run would otherwise fail them.
import type pg from "pg";

const texts = new Map<string, string>();

/**
 * Declares a named statement; call the result with the values for each execution. Names
 * are global per connection, so a second statement under the same name is refused here.
 */
export function prepared(name: string, text: string): (values: unknown[]) => pg.QueryConfig {
  const known = texts.get(name);
  if (known !== undefined && known !== text) {
    throw new Error(`two statements are named "${name}"`);
  }
  texts.set(name, text);
  return (values) => ({ name, text, values });
}
