// One tenant for admins: its usage (live), its quota and its API keys.
import { ApiError, unwrap } from "../../api/errors.ts";
import { TENANT_QUERY } from "../../api/operations/admin.ts";
import type { ApiKey, Quota, Tenant } from "../../api/types.ts";
import { QuotaPanel } from "../../components/quota-panel.tsx";
import { ErrorNotice, Loading } from "../../components/status.tsx";
import { useQuery } from "../../hooks/use-query.ts";
import { Link } from "../../router.tsx";
import { ApiKeys } from "./api-keys.tsx";
import { QuotaForm } from "./quota-form.tsx";

type TenantDetail = Tenant & {
  apiKeys:
    | { __typename: "TenantApiKeysSuccess"; data: ApiKey[] }
    | { __typename: "BaseError"; code: string; message: string };
};

export function TenantPage({ slug }: { slug: string }) {
  const query = useQuery<{ tenant: TenantDetail }>(TENANT_QUERY, { slug });
  if (query.error) return <ErrorNotice error={query.error} retry={query.reload} />;
  if (!query.data) return <Loading what="the tenant" />;
  let tenant: TenantDetail;
  try {
    tenant = unwrap(query.data.tenant);
  } catch (error) {
    return <ErrorNotice error={error} />;
  }
  const keys = tenant.apiKeys.__typename === "TenantApiKeysSuccess" ? tenant.apiKeys.data : [];
  const setQuota = (quota: Quota) =>
    query.setData((data) => ({ tenant: { ...data.tenant, quota } }));
  const setKey = (key: ApiKey) =>
    query.setData((data) => {
      const current =
        data.tenant.apiKeys.__typename === "TenantApiKeysSuccess" ? data.tenant.apiKeys.data : [];
      const next = current.some((k) => k.id === key.id)
        ? current.map((k) => (k.id === key.id ? key : k))
        : [key, ...current];
      return {
        tenant: { ...data.tenant, apiKeys: { __typename: "TenantApiKeysSuccess", data: next } },
      };
    });
  return (
    <>
      <p class="crumbs">
        <Link href="/admin/tenants">Tenants</Link> / <span class="mono">{tenant.slug}</span>
      </p>
      <h2>
        {tenant.name}{" "}
        <span class="muted">({tenant.status === "SUSPENDED" ? "suspended" : "active"})</span>
      </h2>
      <p>
        <Link href={`/jobs?tenant=${encodeURIComponent(tenant.slug)}`}>See its jobs</Link>
      </p>
      <QuotaPanel tenant={tenant.slug} />
      <QuotaForm tenant={tenant.slug} quota={tenant.quota} onSaved={setQuota} />
      {tenant.apiKeys.__typename !== "TenantApiKeysSuccess" && (
        <ErrorNotice error={new ApiError(tenant.apiKeys.message, tenant.apiKeys.code)} />
      )}
      <ApiKeys tenant={tenant.slug} keys={keys} onChanged={setKey} />
    </>
  );
}
