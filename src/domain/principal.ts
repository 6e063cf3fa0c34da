// Who is calling, and the access rules every domain function applies. Tenant isolation
// lives here: a caller reaches a tenant's data only through a membership (its API key's
// tenant) or as a platform admin.
import type { MemberRole } from "../generated/prisma/enums.ts";
import { ForbiddenError, UnauthenticatedError } from "./errors.ts";

export interface Principal {
  userId: string;
  apiKeyId: string;
  isPlatformAdmin: boolean;
  /** The tenant the API key is scoped to; null for admin keys. */
  tenantId: string | null;
  /** The key owner's role in `tenantId`. */
  role: MemberRole | null;
}

const ROLE_RANK: Record<MemberRole, number> = { VIEWER: 1, MEMBER: 2, OWNER: 3 };

export function requireAuthenticated(actor: Principal | null): Principal {
  if (!actor) throw new UnauthenticatedError();
  return actor;
}

export function requirePlatformAdmin(actor: Principal | null): Principal {
  const principal = requireAuthenticated(actor);
  if (!principal.isPlatformAdmin) throw new ForbiddenError("platform admin only");
  return principal;
}

/** True when the caller may see `tenantId`'s data at all. */
export function canSeeTenant(actor: Principal, tenantId: string): boolean {
  return actor.isPlatformAdmin || actor.tenantId === tenantId;
}

/** True when the caller holds at least `minimum` in `tenantId` (admins always do). */
export function hasTenantRole(actor: Principal, tenantId: string, minimum: MemberRole): boolean {
  if (actor.isPlatformAdmin) return true;
  if (actor.tenantId !== tenantId || !actor.role) return false;
  return ROLE_RANK[actor.role] >= ROLE_RANK[minimum];
}

export function requireTenantRole(actor: Principal, tenantId: string, minimum: MemberRole): void {
  if (!hasTenantRole(actor, tenantId, minimum)) {
    throw new ForbiddenError(`requires the ${minimum.toLowerCase()} role in this tenant`);
  }
}

export function roleAtMost(role: MemberRole, ceiling: MemberRole): boolean {
  return ROLE_RANK[role] <= ROLE_RANK[ceiling];
}
