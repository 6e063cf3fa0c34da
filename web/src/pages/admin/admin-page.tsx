// The admin console (platform-admin keys): one section per concern, each its own address.

import { ApiError } from "../../api/errors.ts";
import { useSession } from "../../api/session.ts";
import { ErrorNotice } from "../../components/status.tsx";
import { Link, match } from "../../router.tsx";
import { AuditLogView } from "./audit-log.tsx";
import { CompetitionsAdmin } from "./competitions.tsx";
import { ExecutorsView } from "./executors.tsx";
import { QueueView } from "./queue.tsx";
import { TenantPage } from "./tenant-page.tsx";
import { TenantsView } from "./tenants.tsx";

const SECTIONS = [
  ["tenants", "Tenants"],
  ["executors", "Executors"],
  ["queue", "Queue"],
  ["audit", "Audit log"],
  ["competitions", "Competitions"],
] as const;

export function AdminPage({ path }: { path: string }) {
  const { me } = useSession();
  if (!me.isPlatformAdmin) {
    return (
      <ErrorNotice
        error={new ApiError("The admin console needs a platform-admin key.", "FORBIDDEN")}
      />
    );
  }
  const section = path.split("/")[2] || "tenants";
  const tenant = match("/admin/tenants/:slug", path);
  return (
    <>
      <h1 tabIndex={-1}>Admin</h1>
      <nav class="tabs" aria-label="Admin sections">
        {SECTIONS.map(([key, label]) => (
          <Link
            key={key}
            href={`/admin/${key}`}
            aria-current={section === key ? "page" : undefined}
          >
            {label}
          </Link>
        ))}
      </nav>
      {tenant ? (
        <TenantPage slug={tenant.slug as string} />
      ) : section === "tenants" ? (
        <TenantsView />
      ) : section === "executors" ? (
        <ExecutorsView />
      ) : section === "queue" ? (
        <QueueView />
      ) : section === "audit" ? (
        <AuditLogView />
      ) : section === "competitions" ? (
        <CompetitionsAdmin />
      ) : (
        <ErrorNotice error={new ApiError(`No admin section "${section}".`, "NOT_FOUND")} />
      )}
    </>
  );
}
