// The audit log, newest first: filtered by action, tenant, actor and time, paged with the
// connection's cursor ("Show older").
import { useState } from "preact/hooks";
import { ApiError, unwrap } from "../../api/errors.ts";
import { AUDIT_LOGS_QUERY } from "../../api/operations/admin.ts";
import { useSession } from "../../api/session.ts";
import type { AuditLog, Connection } from "../../api/types.ts";
import { Field } from "../../components/field.tsx";
import { Empty, ErrorNotice, Loading } from "../../components/status.tsx";
import { useQuery } from "../../hooks/use-query.ts";
import { formatDateTime } from "../../lib/format.ts";

type AuditData = { auditLogs: Connection<AuditLog> & { __typename: string } };

interface Filter {
  action: string;
  tenant: string;
  actorUserId: string;
  since: string;
  until: string;
}

const EMPTY: Filter = { action: "", tenant: "", actorUserId: "", since: "", until: "" };

/** The form's values as the API's AuditLogFilter (local times become instants). */
function toApiFilter(filter: Filter): Record<string, string> {
  const out: Record<string, string> = {};
  if (filter.action.trim()) out.action = filter.action.trim();
  if (filter.tenant.trim()) out.tenant = filter.tenant.trim();
  if (filter.actorUserId.trim()) out.actorUserId = filter.actorUserId.trim();
  if (filter.since) out.since = new Date(filter.since).toISOString();
  if (filter.until) out.until = new Date(filter.until).toISOString();
  return out;
}

export function AuditLogView() {
  const session = useSession();
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [applied, setApplied] = useState<Record<string, string>>({});
  const query = useQuery<AuditData>(AUDIT_LOGS_QUERY, { filter: applied });
  const [older, setOlder] = useState<{ busy: boolean; error: unknown }>({
    busy: false,
    error: null,
  });

  let page: Connection<AuditLog> | null = null;
  let error: unknown = query.error ?? older.error;
  try {
    page = query.data ? unwrap(query.data.auditLogs) : null;
  } catch (failure) {
    error = failure;
  }

  const loadOlder = async () => {
    if (!page?.pageInfo.endCursor) return;
    setOlder({ busy: true, error: null });
    try {
      const next = await session.request<AuditData>(AUDIT_LOGS_QUERY, {
        filter: applied,
        after: page.pageInfo.endCursor,
      });
      const more = unwrap(next.auditLogs);
      query.setData((data) => ({
        auditLogs: {
          ...data.auditLogs,
          edges: [...data.auditLogs.edges, ...more.edges],
          pageInfo: more.pageInfo,
        },
      }));
      setOlder({ busy: false, error: null });
    } catch (failure) {
      setOlder({ busy: false, error: failure instanceof ApiError ? failure : failure });
    }
  };

  const bind = (name: keyof Filter) => ({
    value: draft[name],
    onInput: (event: { currentTarget: HTMLInputElement }) => {
      const value = event.currentTarget.value;
      setDraft((current) => ({ ...current, [name]: value }));
    },
  });
  return (
    <section class="panel" aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <form
        class="form-grid"
        aria-label="Filter the audit log"
        onSubmit={(event) => {
          event.preventDefault();
          setApplied(toApiFilter(draft));
        }}
      >
        <Field id="audit-action" label="Action" hint="e.g. tenant.create, quota.set, job.submit">
          {(aria) => <input {...aria} {...bind("action")} />}
        </Field>
        <Field id="audit-tenant" label="Tenant slug">
          {(aria) => <input {...aria} {...bind("tenant")} />}
        </Field>
        <Field id="audit-actor" label="Actor user id">
          {(aria) => <input {...aria} {...bind("actorUserId")} class="mono" />}
        </Field>
        <Field id="audit-since" label="Since" hint="Inclusive, your time zone">
          {(aria) => <input {...aria} type="datetime-local" {...bind("since")} />}
        </Field>
        <Field id="audit-until" label="Until" hint="Exclusive">
          {(aria) => <input {...aria} type="datetime-local" {...bind("until")} />}
        </Field>
        <div class="form-actions">
          <button type="submit">Apply filter</button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setDraft(EMPTY);
              setApplied({});
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {error ? <ErrorNotice error={error} retry={query.reload} /> : null}
      {!page && !error && <Loading what="the audit log" />}
      {page?.edges.length === 0 && <Empty>No entries match.</Empty>}
      {page && page.edges.length > 0 && (
        <div class="table-wrap">
          <table class="audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Actor</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {page.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>{formatDateTime(node.at)}</td>
                  <td class="mono">{node.action}</td>
                  <td>
                    {node.targetType}
                    {node.targetId && <div class="mono small">{node.targetId}</div>}
                  </td>
                  <td class="mono small">
                    {node.actorUserId ?? "—"}
                    {node.requestId && <div class="muted">request {node.requestId}</div>}
                  </td>
                  <td>
                    {node.before !== null || node.after !== null ? (
                      <details>
                        <summary>Before and after</summary>
                        <pre class="small">
                          {JSON.stringify({ before: node.before, after: node.after }, null, 2)}
                        </pre>
                      </details>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page?.pageInfo.hasNextPage && (
        <button type="button" class="secondary" disabled={older.busy} onClick={loadOlder}>
          {older.busy ? "Loading…" : "Show older"}
        </button>
      )}
    </section>
  );
}
