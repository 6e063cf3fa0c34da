-- The application's database role, and row-level security under the application's own
-- tenant checks.
--
-- Migrations run as the database owner. The platform's processes connect as (or switch
-- to) autoscorer_app, which owns nothing, is no superuser, may read and write the tables
-- it works with, and may only append to and read the audit log.
--
-- Tenant-owned rows are visible only to the tenant a session works for, when it works for
-- one: the session setting autoscorer.tenant_id names it (set while a tenant's request
-- runs, src/db/tenant-scope.ts). Platform work (admins, the scheduler, workers) runs with
-- the setting empty and sees every row: the application's checks are the first line; these
-- policies catch a query that forgets its tenant filter.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'autoscorer_app') THEN
    CREATE ROLE autoscorer_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;

-- Whoever runs the migrations may become the application role (a `-c role=` at connect).
GRANT autoscorer_app TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO autoscorer_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO autoscorer_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO autoscorer_app;
-- Tables and sequences later migrations create get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO autoscorer_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO autoscorer_app;
-- The audit log is append-only for the application too (its trigger also refuses changes).
REVOKE UPDATE, DELETE, TRUNCATE ON "AuditLog" FROM autoscorer_app;
-- Migration bookkeeping is the owner's.
REVOKE ALL ON "_prisma_migrations" FROM autoscorer_app;

-- The tenant a session works for, or NULL for platform work.
CREATE FUNCTION autoscorer_session_tenant() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('autoscorer.tenant_id', true), '')::uuid $$;

-- Rows of `tenant` are visible to platform work and to that tenant's sessions.
CREATE FUNCTION autoscorer_tenant_visible(tenant uuid) RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT autoscorer_session_tenant() IS NULL OR tenant = autoscorer_session_tenant() $$;

ALTER TABLE "Job" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Job" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "Job"
  USING (autoscorer_tenant_visible("tenantId")) WITH CHECK (autoscorer_tenant_visible("tenantId"));

ALTER TABLE "Quota" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Quota" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "Quota"
  USING (autoscorer_tenant_visible("tenantId")) WITH CHECK (autoscorer_tenant_visible("tenantId"));

ALTER TABLE "Membership" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Membership" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "Membership"
  USING (autoscorer_tenant_visible("tenantId")) WITH CHECK (autoscorer_tenant_visible("tenantId"));

-- Platform keys (no tenant) are platform business.
ALTER TABLE "ApiKey" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "ApiKey" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "ApiKey"
  USING (autoscorer_tenant_visible("tenantId")) WITH CHECK (autoscorer_tenant_visible("tenantId"));

ALTER TABLE "AuditLog" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "AuditLog" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "AuditLog"
  USING (autoscorer_tenant_visible("tenantId")) WITH CHECK (autoscorer_tenant_visible("tenantId"));

-- What hangs off a job is visible with its job.
ALTER TABLE "JobEvent" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "JobEvent" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "JobEvent"
  USING (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j.id = "jobId"))
  WITH CHECK (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j.id = "jobId"));

ALTER TABLE "Result" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Result" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "Result"
  USING (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j.id = "jobId"))
  WITH CHECK (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j.id = "jobId"));

ALTER TABLE "JobLogChunk" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "JobLogChunk" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "JobLogChunk"
  USING (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j.id = "jobId"))
  WITH CHECK (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j.id = "jobId"));

ALTER TABLE "JobMetricSample" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "JobMetricSample" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "JobMetricSample"
  USING (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j.id = "jobId"))
  WITH CHECK (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j.id = "jobId"));

-- Leaderboards show every team's best entry by design: entries stay readable by all; only
-- a tenant's own rows may be written in its sessions.
ALTER TABLE "LeaderboardEntry" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "LeaderboardEntry" FORCE ROW LEVEL SECURITY;
CREATE POLICY read_all ON "LeaderboardEntry" FOR SELECT USING (true);
CREATE POLICY write_own ON "LeaderboardEntry" FOR ALL
  USING (autoscorer_tenant_visible("tenantId")) WITH CHECK (autoscorer_tenant_visible("tenantId"));

ALTER TABLE "Webhook" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Webhook" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "Webhook"
  USING (autoscorer_tenant_visible("tenantId")) WITH CHECK (autoscorer_tenant_visible("tenantId"));

ALTER TABLE "WebhookDelivery" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "WebhookDelivery" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON "WebhookDelivery"
  USING (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Webhook" w WHERE w.id = "webhookId"))
  WITH CHECK (autoscorer_session_tenant() IS NULL OR EXISTS (SELECT 1 FROM "Webhook" w WHERE w.id = "webhookId"));
