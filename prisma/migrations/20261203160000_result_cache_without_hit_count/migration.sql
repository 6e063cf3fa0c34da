-- The result cache no longer counts hits: every hit on a popular entry wrote the same row,
-- and concurrent hits queued on its row lock (4 ms a hit under load). lastHitAt stays, for
-- eviction, and is touched at most once a minute per entry.

-- AlterTable
ALTER TABLE "ResultCache" DROP COLUMN "hits";
