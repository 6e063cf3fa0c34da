// Does an environment, as a container would get it, make a valid AutoScorer configuration?
// The deploy files configure the app through variables only, so a misspelt key or a bad
// value there would stop the container at start-up; here it fails a test instead.
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";

/** Stand-ins for the secrets the deploy files reference but never hold. */
export const SAMPLE_SECRETS = {
  databaseUrl: "postgresql://autoscorer:not-a-secret@postgres.example:5432/autoscorer",
  adminKey: "sample-admin-key-0123456789abcdef",
};

/** The Config the environment gives, or the loader's message naming the bad key. */
export function configFrom(env: Record<string, string>): Config | string {
  try {
    // This folder has no autoscorer.yaml, so only the environment counts.
    return loadConfig({ env, cwd: import.meta.dirname });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}
