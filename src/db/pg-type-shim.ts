// Workaround for prisma/orm#27403: the Prisma pg adapter maps result columns by
// `fields[].dataTypeID` and throws on PostgreSQL system types it does not know. The
// migration engine's catalog queries return exactly those (`name`, `char`, `oid`, …),
// so `prisma migrate` fails through the adapter. Rewriting the few system type IDs to
// `text` in query results is enough. Only the migration engine's pool uses this client;
// the application's own queries never see the shim. Drop it once upstream fixes the bug.
import pg from "pg";

const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;

/** System catalog types the adapter rejects (scalar and array forms). */
const SYSTEM_SCALAR_OIDS = new Set([
  18, 19, 22, 24, 26, 27, 28, 29, 30, 194, 1033, 2202, 2203, 2204, 2205, 2206, 3361, 3402, 3734,
  3769, 4089, 4096, 5017,
]);
const SYSTEM_ARRAY_OIDS = new Set([1002, 1003, 1006, 1008, 1010, 1011, 1012, 1013, 1028, 1034]);

function rewriteFields(result: unknown): void {
  const fields = (result as { fields?: Array<{ dataTypeID: number }> } | undefined)?.fields;
  if (!Array.isArray(fields)) return;
  for (const field of fields) {
    if (SYSTEM_SCALAR_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    else if (SYSTEM_ARRAY_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_ARRAY_OID;
  }
}

function rewriteAll(result: unknown): void {
  // Multi-statement queries resolve to an array of results.
  if (Array.isArray(result)) for (const r of result) rewriteFields(r);
  else rewriteFields(result);
}

/** A pg Client whose results report system types as text; covers promise and callback calls. */
export class CatalogTypeShimClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads; we forward all of them unchanged.
  override query(...args: any[]): any {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err: Error | null, result: unknown) => {
        if (!err) rewriteAll(result);
        last(err, result);
      };
      // biome-ignore lint/suspicious/noExplicitAny: see above.
      return (super.query as any)(...args);
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    const returned = (super.query as any)(...args);
    if (returned && typeof returned.then === "function") {
      return returned.then((result: unknown) => {
        rewriteAll(result);
        return result;
      });
    }
    return returned;
  }
}

/** A pool for the migration engine only. */
export function createMigrationPool(connectionString: string): pg.Pool {
  // allowExitOnIdle: the CLI would otherwise wait out pg's 10 s idle timeout before exiting.
  return new pg.Pool({
    connectionString,
    max: 2,
    allowExitOnIdle: true,
    idleTimeoutMillis: 50,
    Client: CatalogTypeShimClient,
  });
}
