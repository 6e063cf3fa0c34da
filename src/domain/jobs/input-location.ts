// Where a job's input may come from. A tenant's files live under `<inputRoot>/<tenant slug>/`
// and a job may name only a directory inside its own tenant's folder: otherwise one team
// could score (and read back through logs) another team's ground truth, or any file the
// server can read. Symbolic links are resolved before the check so none can point out.
// The few metadata calls are synchronous: each is one cached syscall, cheaper than the
// thread-pool round trip of its asynchronous form (submission and every job start do this).
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ValidationError } from "../errors.ts";

const invalid = (message: string) => new ValidationError([{ field: "inputUri", message }]);

/** The tenant's own folder for job inputs. */
export const tenantInputDir = (inputRoot: string, tenantSlug: string): string =>
  path.join(path.resolve(inputRoot), tenantSlug);

/**
 * Resolves `inputUri` (a `file://` URI, an absolute path, or a path relative to the
 * tenant's folder) to a real directory inside that folder, or throws VALIDATION_FAILED.
 */
export function resolveInputDir(inputRoot: string, tenantSlug: string, inputUri: string): string {
  let candidate: string;
  if (inputUri.startsWith("file:")) {
    try {
      candidate = fileURLToPath(inputUri);
    } catch {
      throw invalid("not a valid file:// URI");
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(inputUri)) {
    throw invalid("only file:// URIs and paths are supported");
  } else {
    candidate = path.resolve(tenantInputDir(inputRoot, tenantSlug), inputUri);
  }
  const home = tenantInputDir(inputRoot, tenantSlug);
  let real: string;
  let realHome: string;
  try {
    realHome = realpathSync.native(home);
    real = realpathSync.native(candidate);
  } catch {
    throw invalid(`no such directory in this tenant's input folder (${tenantSlug}/)`);
  }
  const relative = path.relative(realHome, real);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw invalid(`must be inside this tenant's input folder (${tenantSlug}/)`);
  }
  if (!statSync(real).isDirectory()) throw invalid("must name a directory");
  return real;
}
