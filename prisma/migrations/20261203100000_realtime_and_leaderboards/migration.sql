-- Live job output and CPU/memory samples for subscriptions, each tenant's best entry per
-- competition phase (kept by the transaction that records a Result), private phases with
-- a reveal time, tie-break metrics, and the index of a tenant's jobs newest first.

-- AlterTable
ALTER TABLE "Competition" ADD COLUMN     "tiebreakMetrics" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "Phase" ADD COLUMN     "private" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "revealedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "JobLogChunk" (
    "id" BIGSERIAL NOT NULL,
    "jobId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "stream" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "lines" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "JobLogChunk_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JobMetricSample" (
    "id" BIGSERIAL NOT NULL,
    "jobId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "cpuMillis" INTEGER NOT NULL,
    "memoryBytes" BIGINT NOT NULL,

    CONSTRAINT "JobMetricSample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LeaderboardEntry" (
    "phaseId" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "competitionId" UUID NOT NULL,
    "jobId" UUID NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "rankKey" DOUBLE PRECISION[],
    "metrics" JSONB NOT NULL,
    "submittedAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LeaderboardEntry_pkey" PRIMARY KEY ("phaseId","tenantId")
);

-- CreateIndex
CREATE INDEX "JobLogChunk_jobId_id_idx" ON "JobLogChunk"("jobId", "id");

-- CreateIndex
CREATE INDEX "JobMetricSample_jobId_id_idx" ON "JobMetricSample"("jobId", "id");

-- CreateIndex
CREATE INDEX "LeaderboardEntry_phaseId_rankKey_submittedAt_idx" ON "LeaderboardEntry"("phaseId", "rankKey", "submittedAt");

-- CreateIndex
CREATE INDEX "Job_tenantId_id_idx" ON "Job"("tenantId", "id");

-- AddForeignKey
ALTER TABLE "JobLogChunk" ADD CONSTRAINT "JobLogChunk_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "JobMetricSample" ADD CONSTRAINT "JobMetricSample_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeaderboardEntry" ADD CONSTRAINT "LeaderboardEntry_phaseId_fkey" FOREIGN KEY ("phaseId") REFERENCES "Phase"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeaderboardEntry" ADD CONSTRAINT "LeaderboardEntry_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeaderboardEntry" ADD CONSTRAINT "LeaderboardEntry_competitionId_fkey" FOREIGN KEY ("competitionId") REFERENCES "Competition"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeaderboardEntry" ADD CONSTRAINT "LeaderboardEntry_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

