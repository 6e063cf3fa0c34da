// A job's history: every state change in order, with its attempt, time and reason.
import type { JobEvent } from "../../api/types.ts";
import { StateBadge } from "../../components/state-badge.tsx";
import { explainCode } from "../../lib/error-codes.ts";
import { formatDateTime } from "../../lib/format.ts";

export function Timeline({ events }: { events: JobEvent[] }) {
  return (
    <section class="panel" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol class="timeline" aria-live="polite">
        {events.map((event) => (
          <li key={event.id} data-to-state={event.toState}>
            <time dateTime={event.at}>{formatDateTime(event.at)}</time>
            <span class="transition">
              {event.fromState && (
                <>
                  <StateBadge state={event.fromState} /> <span aria-hidden="true">→</span>
                  <span class="visually-hidden">to</span>{" "}
                </>
              )}
              <StateBadge state={event.toState} />
            </span>
            <span class="muted small">attempt {event.attempt}</span>
            {event.errorCode && (
              <span class="small error-text" title={explainCode(event.errorCode)}>
                {event.errorCode}
              </span>
            )}
            {event.message && <span class="small">{event.message}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
