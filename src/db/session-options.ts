// How every platform connection starts its session: in UTC (src/db/timestamps.ts) and, when
// configured, as the application role, which owns nothing, is no superuser and is bound by
// row-level security (migration app_role_and_row_security). `-c role=` switches the role
// before the first statement, so no query ever runs with the login role's rights.
import { UTC_SESSION } from "./timestamps.ts";

/** The application role the migrations create and grant. */
export const APP_ROLE = "autoscorer_app";

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The libpq `options` string for a session; no role keeps the login role (tests of it). */
export function sessionOptions(role: string | undefined): string {
  if (!role) return UTC_SESSION;
  if (!ROLE_NAME.test(role)) throw new Error(`not a plain role name: ${role}`);
  return `${UTC_SESSION} -c role=${role}`;
}
