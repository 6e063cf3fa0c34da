-- Each heartbeat says how long the node counts as alive, so the scheduler, the API and the
-- metrics all judge liveness by one stored deadline rather than each by its own timeout.
ALTER TABLE "ExecutorNode" ADD COLUMN "aliveUntil" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
