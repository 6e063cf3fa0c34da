// The tenant a piece of work is done for, carried along its async calls, and the pool that
// tells Postgres about it: each connection handed out runs with the session setting
// autoscorer.tenant_id naming the tenant of the work that asked for it (empty for platform
// work), so the row-level security policies (migration app_role_and_row_security) hide
// every other tenant's rows from a tenant's request, even one whose query forgot its
// tenant filter. The setting is written only when a connection changes hands between
// scopes, so work that stays in one scope pays nothing for it.
import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";

const scope = new AsyncLocalStorage<string | null>();

/** The scope of callers without a key: a tenant id no tenant has, so no tenant's rows show. */
export const NO_TENANT = "00000000-0000-0000-0000-000000000000";

/**
 * Runs `work` (and everything it starts) for `tenantId`, or as platform work for null. A
 * Prisma query starts when it is awaited, not when it is built: await it inside `work`.
 */
export function withTenantScope<T>(tenantId: string | null, work: () => T): T {
  return scope.run(tenantId, work);
}

/** The setting value a connection needs for the current work. */
const wantedScope = (): string => scope.getStore() ?? "";

/** What each connection's setting is now (a new connection starts empty). */
const current = new WeakMap<pg.PoolClient, string>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function applyScope(client: pg.PoolClient, wanted: string): Promise<void> {
  if ((current.get(client) ?? "") === wanted) return;
  if (wanted !== "" && !UUID.test(wanted)) throw new Error(`not a tenant id: ${wanted}`);
  await client.query("SELECT set_config('autoscorer.tenant_id', $1, false)", [wanted]);
  current.set(client, wanted);
}

type ConnectCallback = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  release: (error?: Error | boolean) => void,
) => void;

/** A pg Pool whose connections carry the tenant scope of the work that checks them out. */
export class TenantScopedPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const wanted = wantedScope();
    if (!callback) {
      return super.connect().then(async (client) => {
        try {
          await applyScope(client, wanted);
          return client;
        } catch (error) {
          client.release(error as Error);
          throw error;
        }
      });
    }
    super.connect((error, client, release) => {
      if (error || !client) return callback(error, client, release);
      applyScope(client, wanted).then(
        () => callback(undefined, client, release),
        (failure: Error) => {
          release(failure);
          callback(failure, undefined, () => {});
        },
      );
    });
    return undefined;
  }
}
