-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "chargedOn" DATE;

-- CreateTable
CREATE TABLE "SubmissionCounter" (
    "scope" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "SubmissionCounter_pkey" PRIMARY KEY ("scope","day")
);
