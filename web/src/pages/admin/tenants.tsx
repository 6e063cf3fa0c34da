// Tenants: the list with each one's status, creating one, and suspending or resuming.
import { useState } from "preact/hooks";
import {
  CREATE_TENANT,
  RESUME_TENANT,
  SUSPEND_TENANT,
  TENANTS_QUERY,
} from "../../api/operations/admin.ts";
import { useSession } from "../../api/session.ts";
import type { Connection, Tenant } from "../../api/types.ts";
import { Field } from "../../components/field.tsx";
import { Empty, ErrorNotice, Loading } from "../../components/status.tsx";
import { useAction } from "../../hooks/use-action.ts";
import { useQuery } from "../../hooks/use-query.ts";
import { Link } from "../../router.tsx";

type TenantsData = { tenants: Connection<Tenant> };

export function TenantsView() {
  const session = useSession();
  const query = useQuery<TenantsData>(TENANTS_QUERY);
  const [more, setMore] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const loadMore = async () => {
    const after = query.data?.tenants.pageInfo.endCursor;
    if (!after) return;
    setMore({ busy: true, error: null });
    try {
      const next = await session.request<TenantsData>(TENANTS_QUERY, { after });
      query.setData((data) => ({
        tenants: {
          edges: [...data.tenants.edges, ...next.tenants.edges],
          pageInfo: next.tenants.pageInfo,
        },
      }));
      setMore({ busy: false, error: null });
    } catch (error) {
      setMore({ busy: false, error });
    }
  };
  const replace = (tenant: Tenant) =>
    query.setData((data) => {
      const exists = data.tenants.edges.some((e) => e.node.slug === tenant.slug);
      const edges = exists
        ? data.tenants.edges.map((e) => (e.node.slug === tenant.slug ? { ...e, node: tenant } : e))
        : [...data.tenants.edges, { cursor: "", node: tenant }].sort((a, b) =>
            a.node.slug.localeCompare(b.node.slug),
          );
      return { tenants: { ...data.tenants, edges } };
    });
  return (
    <section class="panel" aria-labelledby="tenants-heading">
      <h2 id="tenants-heading">Tenants</h2>
      <CreateTenant onCreated={replace} />
      {query.error ? <ErrorNotice error={query.error} retry={query.reload} /> : null}
      {!query.data && !query.error && <Loading what="tenants" />}
      {query.data?.tenants.edges.length === 0 && <Empty>No tenants yet.</Empty>}
      {query.data && query.data.tenants.edges.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Slug</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Weight</th>
                <th scope="col">Concurrency / day</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {query.data.tenants.edges.map(({ node }) => (
                <TenantRow key={node.slug} tenant={node} onChanged={replace} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more.error ? <ErrorNotice error={more.error} retry={loadMore} /> : null}
      {query.data?.tenants.pageInfo.hasNextPage && (
        <button type="button" class="secondary" disabled={more.busy} onClick={loadMore}>
          {more.busy ? "Loading…" : "Show more tenants"}
        </button>
      )}
    </section>
  );
}

function TenantRow({ tenant, onChanged }: { tenant: Tenant; onChanged: (tenant: Tenant) => void }) {
  const action = useAction();
  const suspended = tenant.status === "SUSPENDED";
  const toggle = () => {
    if (
      !suspended &&
      !window.confirm(`Suspend ${tenant.slug}? Its keys stop working until resumed.`)
    )
      return;
    void action.run<Tenant>(
      suspended ? RESUME_TENANT : SUSPEND_TENANT,
      suspended ? "resumeTenant" : "suspendTenant",
      { slug: tenant.slug },
      onChanged,
    );
  };
  return (
    <tr data-tenant={tenant.slug}>
      <td>
        <Link href={`/admin/tenants/${tenant.slug}`} class="mono">
          {tenant.slug}
        </Link>
      </td>
      <td>{tenant.name}</td>
      <td>
        <span class={`badge tenant-${tenant.status.toLowerCase()}`}>
          {suspended ? "Suspended" : "Active"}
        </span>
      </td>
      <td class="num">{tenant.weight}</td>
      <td class="num">
        {tenant.quota
          ? `${tenant.quota.maxConcurrentJobs} / ${tenant.quota.submissionsPerDay}`
          : "—"}
      </td>
      <td>
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          onClick={toggle}
          aria-label={`${suspended ? "Resume" : "Suspend"} ${tenant.slug}`}
        >
          {suspended ? "Resume" : "Suspend"}
        </button>
        {action.error && (
          <span class="inline-error" role="alert">
            {action.error.message}
          </span>
        )}
      </td>
    </tr>
  );
}

function CreateTenant({ onCreated }: { onCreated: (tenant: Tenant) => void }) {
  const action = useAction();
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [weight, setWeight] = useState("");
  const issues = (field: string) =>
    action.error?.issues.filter((i) => i.field.startsWith(field)) ?? [];
  const submit = async (event: Event) => {
    event.preventDefault();
    const input = {
      slug: slug.trim(),
      name: name.trim(),
      ...(weight ? { weight: Number(weight) } : {}),
    };
    const created = await action.run<Tenant>(CREATE_TENANT, "createTenant", { input }, onCreated);
    if (created) {
      setSlug("");
      setName("");
      setWeight("");
    }
  };
  return (
    <details class="subpanel">
      <summary>Create a tenant</summary>
      <form onSubmit={submit} class="form-grid" aria-label="Create a tenant">
        <Field
          id="tenant-slug"
          label="Slug"
          hint="Lower-case letters, digits and dashes"
          issues={issues("slug")}
        >
          {(aria) => (
            <input
              {...aria}
              value={slug}
              onInput={(e) => setSlug(e.currentTarget.value)}
              required
            />
          )}
        </Field>
        <Field id="tenant-name" label="Name" issues={issues("name")}>
          {(aria) => (
            <input
              {...aria}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
              required
            />
          )}
        </Field>
        <Field
          id="tenant-weight"
          label="Fair-share weight"
          hint="Default 1"
          issues={issues("weight")}
        >
          {(aria) => (
            <input
              {...aria}
              type="number"
              step="any"
              min={0}
              value={weight}
              onInput={(e) => setWeight(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="form-actions">
          <button type="submit" disabled={action.busy}>
            Create tenant
          </button>
        </div>
        {action.error && <ErrorNotice error={action.error} />}
      </form>
    </details>
  );
}
