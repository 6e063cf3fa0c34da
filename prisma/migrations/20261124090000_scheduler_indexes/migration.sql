-- Admission reads each tenant's next waiting jobs in priority, then submission order.
CREATE INDEX "Job_tenantId_state_priority_id_idx" ON "Job"("tenantId", "state", "priority" DESC, "id");

-- The lease reaper looks for placed jobs whose lease ran out.
CREATE INDEX "Job_state_leaseExpiresAt_idx" ON "Job"("state", "leaseExpiresAt");

-- A node's load is summed from its placed jobs; counters on the node row would be a lock
-- every job start and finish contends for, and could drift after a crash.
ALTER TABLE "ExecutorNode" DROP COLUMN "usedCpuMillis",
  DROP COLUMN "usedMemoryMb",
  DROP COLUMN "usedGpus",
  DROP COLUMN "runningJobs";
