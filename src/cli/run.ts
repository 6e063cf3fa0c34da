// Runs platform roles until SIGINT/SIGTERM, then shuts down in order. Start-up failures
// (bad config, port in use, database down) print one clear line, not a stack trace.
import { type Roles, startPlatform } from "../app/platform.ts";
import { ConfigError } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { createLogger } from "../log.ts";

export async function runUntilSignalled(
  config: Config,
  roles: Roles,
  migrate: boolean,
): Promise<number> {
  const log = createLogger({ json: config.env === "production" });
  const started = Date.now();
  const platform = await startPlatform({ config, roles, log, migrate });
  if (platform.url) {
    // One write, so whoever reads our stdout sees the URL and the key together.
    const key = platform.generatedAdminKey
      ? `Bootstrap admin API key (shown once, store it now):\n  ${platform.generatedAdminKey}\n\n`
      : "";
    process.stdout.write(
      `\nAutoScorer is running: ${platform.url}/graphql  (${Date.now() - started} ms)\n` +
        `Web client: ${platform.url}/\n${key}`,
    );
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  log.info("shutting down");
  await platform.stop();
  return 0;
}

/** Turns expected start-up failures into a one-line message and exit code 1. */
export function explainStartupError(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof Error) {
    const causes: string[] = [error.message];
    let cause = error.cause;
    while (cause instanceof Error) {
      causes.push(cause.message);
      cause = cause.cause;
    }
    return causes.join(": ");
  }
  return String(error);
}
