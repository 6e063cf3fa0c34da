-- The indexes on Job's optional keys cover only the jobs that have them. Most jobs carry no
-- client jobId and belong to no competition phase, and every state change of a job writes a
-- new row version with an entry in each index whose predicate it meets (a move can never be
-- a HOT update: its columns are in the active-job indexes). Entries for NULL keys were never
-- looked up: the idempotency check and the phase lookups always name a key.
-- Prisma's schema language has no partial indexes (see the note on model Job in
-- schema.prisma): take any DROP INDEX lines for these out of a migration it generates.
DROP INDEX "Job_tenantId_clientJobId_key";
CREATE UNIQUE INDEX "Job_tenantId_clientJobId_key" ON "Job" ("tenantId", "clientJobId")
  WHERE "clientJobId" IS NOT NULL;
DROP INDEX "Job_phaseId_submittedAt_idx";
CREATE INDEX "Job_phaseId_submittedAt_idx" ON "Job" ("phaseId", "submittedAt")
  WHERE "phaseId" IS NOT NULL;
