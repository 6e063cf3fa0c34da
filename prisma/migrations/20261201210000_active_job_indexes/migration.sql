-- The indexes that find jobs by state cover only the jobs the scheduler and the workers
-- look for: waiting (PENDING) or placed on a node (QUEUED, RUNNING). Finished jobs, the bulk
-- of the table, no longer pay for them on every state change (each move of a job rewrote an
-- entry in every index of the table), and the indexes stay the size of the active set.
-- Prisma's schema language has no partial indexes: these live in migrations only (see the
-- note on model Job in schema.prisma).
DROP INDEX "Job_state_priority_submittedAt_idx";
DROP INDEX "Job_tenantId_state_idx";
DROP INDEX "Job_executorNodeId_state_idx";
DROP INDEX "Job_tenantId_state_priority_id_idx";
DROP INDEX "Job_state_leaseExpiresAt_idx";

-- Admission: each tenant's waiting line in priority, then submission order; its length.
CREATE INDEX "Job_waiting_idx" ON "Job" ("tenantId", "priority" DESC, "id") WHERE "state" = 'PENDING';
-- A node's load, and a restarted worker's orphans.
CREATE INDEX "Job_placed_node_idx" ON "Job" ("executorNodeId") WHERE "state" IN ('QUEUED', 'RUNNING');
-- A tenant's jobs holding quota.
CREATE INDEX "Job_placed_tenant_idx" ON "Job" ("tenantId") WHERE "state" IN ('QUEUED', 'RUNNING');
-- The lease reaper.
CREATE INDEX "Job_placed_lease_idx" ON "Job" ("leaseExpiresAt") WHERE "state" IN ('QUEUED', 'RUNNING');
