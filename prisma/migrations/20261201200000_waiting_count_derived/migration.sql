-- A tenant's waiting jobs are now counted from "Job" rows (PENDING) at submission time; the
-- counter rows that used to hold that number are no longer read or written.
DELETE FROM "SubmissionCounter" WHERE scope LIKE 'queued:%';
