// The platform's database role and the row-level security under its own tenant checks
// (migration app_role_and_row_security, src/db/tenant-scope.ts): the platform runs as a role
// that owns nothing and may only append to the audit log, and a tenant's work sees no other
// tenant's rows even through a query that forgets its tenant filter.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_TENANT, withTenantScope } from "../../src/db/tenant-scope.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { baseSpec, makeInput, submit } from "../jobs/helpers.ts";

describe("database roles and row-level security", () => {
  let api: TestApi;
  let alpha: string;
  let beta: string;
  let betaJob: string;

  /** Tenant ids of every Job row the given scope sees, through a query with no tenant filter. */
  const visibleJobTenants = (scope: string | null) =>
    withTenantScope(scope, async () => {
      const { rows } = await api.db.pool.query<{ tenantId: string }>(
        `SELECT "tenantId" FROM "Job"`,
      );
      return new Set(rows.map((row) => row.tenantId));
    });

  beforeAll(async () => {
    api = await startTestApi({ scheduler: false });
    alpha = await createTenant(api, "alpha");
    beta = await createTenant(api, "beta");
    for (const [slug, count] of [
      ["alpha", 2],
      ["beta", 1],
    ] as const) {
      const key = (await createKey(api, slug, "MEMBER")).token;
      for (let i = 0; i < count; i++) {
        const job = await submit(api, baseSpec(makeInput(api, slug)), key);
        if (job.__typename !== "Job" || !("id" in job)) throw new Error(JSON.stringify(job));
        if (slug === "beta") betaJob = job.id;
      }
    }
  });
  afterAll(() => api.close());

  it("runs the platform as a role that is no superuser and owns nothing", async () => {
    const { rows } = await api.db.pool.query<{
      current_user: string;
      rolsuper: boolean;
      rolbypassrls: boolean;
      rolcreaterole: boolean;
      rolcreatedb: boolean;
      owned: string;
    }>(
      `SELECT current_user, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
              (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
            + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
            + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
            + (SELECT count(*) FROM pg_type WHERE typowner = r.oid) AS owned
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({
      current_user: "autoscorer_app",
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
      owned: "0",
    });
    // Its connections cannot change the schema, of the platform or of pg-boss.
    await expect(api.db.pool.query(`CREATE TABLE sneaky (id int)`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(api.db.pool.query(`ALTER TABLE "Job" DISABLE ROW LEVEL SECURITY`)).rejects.toThrow(
      /must be owner/,
    );
    await expect(api.db.pool.query(`DROP TABLE pgboss.job`)).rejects.toThrow(/must be owner/);
    await expect(api.db.pool.query(`SELECT * FROM "_prisma_migrations"`)).rejects.toThrow(
      /permission denied/,
    );
  });

  it("may only add to and read the audit log", async () => {
    const { rows } = await api.db.pool.query<Record<string, boolean>>(
      `SELECT has_table_privilege('"AuditLog"', 'SELECT') AS select,
              has_table_privilege('"AuditLog"', 'INSERT') AS insert,
              has_table_privilege('"AuditLog"', 'UPDATE') AS update,
              has_table_privilege('"AuditLog"', 'DELETE') AS delete,
              has_table_privilege('"AuditLog"', 'TRUNCATE') AS truncate`,
    );
    expect(rows[0]).toEqual({
      select: true,
      insert: true,
      update: false,
      delete: false,
      truncate: false,
    });
  });

  it("shows a tenant's work only its own rows, even through a query with no tenant filter", async () => {
    expect(await visibleJobTenants(alpha)).toEqual(new Set([alpha]));
    expect(await visibleJobTenants(beta)).toEqual(new Set([beta]));
    // Callers without a key see no tenant's rows; platform work sees all.
    expect(await visibleJobTenants(NO_TENANT)).toEqual(new Set());
    expect(await visibleJobTenants(null)).toEqual(new Set([alpha, beta]));
    // Through Prisma too, and for what hangs off a job (its events).
    const [jobs, events] = await withTenantScope(alpha, () =>
      Promise.all([api.db.prisma.job.findMany(), api.db.prisma.jobEvent.findMany()]),
    );
    expect(jobs.map((job) => job.tenantId)).toEqual([alpha, alpha]);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(new Set(events.map((event) => event.jobId))).toEqual(new Set(jobs.map((j) => j.id)));
    // By id: another tenant's job is simply not there.
    // (A Prisma query starts when awaited, so it is awaited inside the scope.)
    const byId = await withTenantScope(
      alpha,
      async () => await api.db.prisma.job.findUnique({ where: { id: betaJob } }),
    );
    expect(byId).toBeNull();
  });

  it("lets a tenant's work change or create no other tenant's rows", async () => {
    await withTenantScope(alpha, async () => {
      const moved = await api.db.pool.query(`UPDATE "Job" SET priority = 9 WHERE id = $1`, [
        betaJob,
      ]);
      expect(moved.rowCount).toBe(0);
      await expect(
        api.db.pool.query(`UPDATE "Job" SET "tenantId" = $1 WHERE "tenantId" = $2`, [beta, alpha]),
      ).rejects.toThrow(/row-level security/);
      await expect(
        api.db.pool.query(
          `INSERT INTO "AuditLog" (action, "targetType", "targetId", "tenantId")
           VALUES ('forged', 'Job', $1, $2)`,
          [betaJob, beta],
        ),
      ).rejects.toThrow(/row-level security/);
    });
    const { rows } = await api.db.pool.query<{ priority: number }>(
      `SELECT priority FROM "Job" WHERE id = $1`,
      [betaJob],
    );
    expect(rows[0]?.priority).not.toBe(9);
  });

  it("runs each GraphQL operation in its caller's scope", async () => {
    // A column (of this test's database only) that records the scope of the session that
    // wrote each audit entry (NULL: a connection that never left platform work).
    await api.testDb.ownerQuery(
      `ALTER TABLE "AuditLog" ADD COLUMN scope text DEFAULT current_setting('autoscorer.tenant_id', true)`,
    );
    await createTenant(api, "gamma");
    const owner = (await createKey(api, "alpha", "OWNER")).token;
    await createKey(api, "alpha", "VIEWER", owner);
    const { rows } = await api.testDb.ownerQuery(
      `SELECT action, coalesce(scope, '') AS scope FROM "AuditLog"
        WHERE id > (SELECT max(id) - 3 FROM "AuditLog") ORDER BY id`,
    );
    // The admin's mutations ran as platform work, the alpha owner's in alpha's scope.
    expect(rows).toEqual([
      { action: "tenant.create", scope: "" },
      { action: "apiKey.create", scope: "" },
      { action: "apiKey.create", scope: alpha },
    ]);
  });

  it("forces row-level security on every table that holds a tenant's or a job's rows", async () => {
    const { rows } = await api.testDb.ownerQuery(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND EXISTS (SELECT 1 FROM information_schema.columns col
                       WHERE col.table_schema = 'public' AND col.table_name = c.relname
                         AND col.column_name IN ('tenantId', 'jobId', 'webhookId'))
        ORDER BY c.relname`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const row of rows) {
      expect(row, row.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    }
  });
});
