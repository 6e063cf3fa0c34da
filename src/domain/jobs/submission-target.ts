// Resolves who a submission is for and under which rules: the tenant (the key's own, or
// the one an admin names), its quota, and the competition phase it enters, if any.
import type { Sql } from "../../db/sql.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import {
  AppError,
  ForbiddenError,
  InvalidStateError,
  NotFoundError,
  TenantSuspendedError,
  ValidationError,
} from "../errors.ts";
import { type Principal, requireTenantRole } from "../principal.ts";

export interface TenantQuota {
  id: string;
  slug: string;
  status: "ACTIVE" | "SUSPENDED";
  maxQueuedJobs: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  submissionsPerDay: number;
  maxJobSeconds: number;
}

export interface PhaseRules {
  competitionId: string;
  competitionSlug: string;
  scorer: string;
  scorerParams: Record<string, unknown>;
  countedStates: JobState[];
  phaseId: string;
  phaseSlug: string;
  dailyLimit: number | null;
  totalLimit: number | null;
}

const TENANT_SQL = `
  SELECT t.id, t.slug, t.status, q."maxQueuedJobs", q."cpuMillis", q."memoryMb", q.gpus,
         q."submissionsPerDay", q."maxJobSeconds"
  FROM "Tenant" t JOIN "Quota" q ON q."tenantId" = t.id`;

/** Who submits, and the tenant they name (admins must name one; tenant keys may). */
export interface TenantRequest {
  actor: Principal;
  tenantSlug: string | null;
}

/**
 * The tenants many submissions are for, in one query: each request's tenant, or the
 * AppError that refuses it (its key's tenant only, or for an admin the one it names).
 */
export async function submissionTenants(
  sql: Sql,
  requests: readonly TenantRequest[],
): Promise<Array<TenantQuota | AppError>> {
  const ids = requests.flatMap((r) => (r.actor.tenantId ? [r.actor.tenantId] : []));
  const slugs = requests.flatMap((r) =>
    !r.actor.tenantId && r.actor.isPlatformAdmin && r.tenantSlug ? [r.tenantSlug] : [],
  );
  const { rows } = await sql.query<TenantQuota>(
    `${TENANT_SQL} WHERE t.id = ANY($1::uuid[]) OR t.slug = ANY($2::text[])`,
    [ids, slugs],
  );
  return requests.map((request) => {
    try {
      return chooseTenant(request, rows);
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
  });
}

function chooseTenant({ actor, tenantSlug }: TenantRequest, rows: TenantQuota[]): TenantQuota {
  let tenant: TenantQuota | undefined;
  if (actor.tenantId) {
    tenant = rows.find((row) => row.id === actor.tenantId);
    // Naming another tenant looks exactly like naming one that does not exist.
    if (tenant && tenantSlug && tenantSlug !== tenant.slug) tenant = undefined;
  } else if (actor.isPlatformAdmin) {
    if (!tenantSlug) {
      throw new ValidationError([{ field: "tenant", message: "admins must name the tenant" }]);
    }
    tenant = rows.find((row) => row.slug === tenantSlug);
  } else {
    throw new ForbiddenError("this key belongs to no tenant");
  }
  if (!tenant) throw new NotFoundError("tenant", tenantSlug ?? "");
  requireTenantRole(actor, tenant.id, "MEMBER");
  if (tenant.status === "SUSPENDED") throw new TenantSuspendedError(tenant.slug);
  return tenant;
}

interface PhaseRow extends Omit<PhaseRules, "countedStates"> {
  countedStates: JobState[];
  startsAt: Date | null;
  endsAt: Date | null;
}

/**
 * The phase a submission enters: the one named, or else the one open now. A phase that
 * has not started or has ended takes no submissions (`requireOpen`); reading usage may
 * look at a closed one, and then defaults to the latest phase.
 */
export async function submissionPhase(
  sql: Sql,
  competitionSlug: string,
  phaseSlug: string | null,
  now: Date,
  requireOpen = true,
): Promise<PhaseRules> {
  const { rows } = await sql.query<PhaseRow>(
    `SELECT c.id AS "competitionId", c.slug AS "competitionSlug", c.scorer,
            c."scorerParams", c."countedStates"::text[] AS "countedStates",
            p.id AS "phaseId", p.slug AS "phaseSlug", p."dailyLimit", p."totalLimit",
            p."startsAt", p."endsAt"
     FROM "Competition" c JOIN "Phase" p ON p."competitionId" = c.id
     WHERE c.slug = $1 ORDER BY p."startsAt" NULLS FIRST, p.slug`,
    [competitionSlug],
  );
  if (rows.length === 0) throw new NotFoundError("competition", competitionSlug);
  const isOpen = (p: PhaseRow) =>
    (!p.startsAt || p.startsAt <= now) && (!p.endsAt || now < p.endsAt);
  const phase = phaseSlug
    ? rows.find((p) => p.phaseSlug === phaseSlug)
    : (rows.find(isOpen) ?? (requireOpen ? undefined : rows.at(-1)));
  if (!phase) {
    if (phaseSlug) throw new NotFoundError("phase", phaseSlug);
    throw new InvalidStateError(`competition "${competitionSlug}" has no phase open now`);
  }
  if (requireOpen && !isOpen(phase)) {
    throw new InvalidStateError(`phase "${phase.phaseSlug}" is not open for submissions`, {
      startsAt: phase.startsAt?.toISOString() ?? null,
      endsAt: phase.endsAt?.toISOString() ?? null,
    });
  }
  const { startsAt: _s, endsAt: _e, ...rules } = phase;
  return rules;
}
