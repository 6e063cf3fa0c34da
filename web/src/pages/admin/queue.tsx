// The waiting line: per tenant, jobs waiting for admission, jobs placed, and how long the
// oldest has waited. The API has no subscription for it, so it is read every few seconds.
import { useEffect, useState } from "preact/hooks";
import { QUEUE_QUERY } from "../../api/operations/admin.ts";
import type { TenantQueue } from "../../api/types.ts";
import { Empty, ErrorNotice, Loading } from "../../components/status.tsx";
import { useQuery } from "../../hooks/use-query.ts";
import { formatDuration, formatTime, secondsBetween } from "../../lib/format.ts";

const REFRESH_MS = 5000;

export function QueueView() {
  const query = useQuery<{ queue: TenantQueue[] }>(QUEUE_QUERY);
  const [now, setNow] = useState(Date.now());
  const { reload } = query;
  useEffect(() => {
    const timer = setInterval(() => {
      reload();
      setNow(Date.now());
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <section class="panel" aria-labelledby="queue-heading">
      <div class="page-head">
        <h2 id="queue-heading">Queue</h2>
        <span class="muted small">
          Refreshed every {REFRESH_MS / 1000} s (last {formatTime(new Date(now).toISOString())})
        </span>
        <button type="button" class="secondary" onClick={reload}>
          Refresh now
        </button>
      </div>
      {query.error ? <ErrorNotice error={query.error} retry={reload} /> : null}
      {!query.data && !query.error && <Loading what="the queue" />}
      {query.data?.queue.length === 0 && <Empty>Nothing waits or runs.</Empty>}
      {query.data && query.data.queue.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Waiting</th>
                <th scope="col">Running</th>
                <th scope="col">Concurrency limit</th>
                <th scope="col">Oldest waits for</th>
              </tr>
            </thead>
            <tbody>
              {query.data.queue.map((row) => (
                <tr key={row.tenant}>
                  <th scope="row">{row.tenant}</th>
                  <td class="num">{row.waiting}</td>
                  <td class="num">{row.running}</td>
                  <td class="num">{row.maxConcurrentJobs}</td>
                  <td>
                    {row.oldestWaitingSince
                      ? formatDuration(secondsBetween(row.oldestWaitingSince, null, now))
                      : "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
