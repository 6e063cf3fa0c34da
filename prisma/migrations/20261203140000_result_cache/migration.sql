-- The result cache: identical inputs, scorer and params are scored once; a competition
-- may opt out; a Result says whether it came from the cache.

-- AlterTable
ALTER TABLE "Competition" ADD COLUMN     "resultCache" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Result" ADD COLUMN     "cached" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "ResultCache" (
    "key" TEXT NOT NULL,
    "scorer" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "hits" INTEGER NOT NULL DEFAULT 0,
    "lastHitAt" TIMESTAMP(3),

    CONSTRAINT "ResultCache_pkey" PRIMARY KEY ("key")
);

