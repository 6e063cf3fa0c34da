// First start: make sure a platform admin exists and can log in. The key is either the
// operator's AUTOSCORER_ADMIN_KEY or a fresh one returned to be printed once.
import type { Database, PrismaTx } from "../db/database.ts";
import { issueKey, keyFromToken, splitToken } from "./api-keys.ts";
import { recordAudit } from "./audit/record.ts";

const ADMIN_EMAIL = "admin@autoscorer.local";

export interface BootstrapResult {
  /** The new token when one was generated now; null when an admin already existed. */
  generatedToken: string | null;
}

export async function ensureBootstrapAdmin(
  db: Database,
  configuredKey: string | undefined,
): Promise<BootstrapResult> {
  return db.prisma.$transaction(async (tx) => {
    // Serialises concurrent first starts of several processes on one database.
    await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(hashtext('autoscorer.bootstrap'))");
    const admin = await tx.user.upsert({
      where: { email: ADMIN_EMAIL },
      create: { email: ADMIN_EMAIL, name: "Platform admin", isPlatformAdmin: true },
      update: {},
    });
    if (configuredKey) {
      const wanted = keyFromToken(configuredKey);
      const existing = await tx.apiKey.findUnique({
        where: { prefix: splitToken(configuredKey).prefix },
      });
      if (!existing) {
        const key = await tx.apiKey.create({
          data: {
            ...withoutToken(wanted),
            name: "bootstrap (AUTOSCORER_ADMIN_KEY)",
            userId: admin.id,
          },
        });
        await auditBootstrap(tx, key.id);
      }
      return { generatedToken: null };
    }
    const keys = await tx.apiKey.count({ where: { userId: admin.id, tenantId: null } });
    if (keys > 0) return { generatedToken: null };
    const issued = issueKey();
    const key = await tx.apiKey.create({
      data: { ...withoutToken(issued), name: "bootstrap", userId: admin.id },
    });
    await auditBootstrap(tx, key.id);
    return { generatedToken: issued.token };
  });
}

async function auditBootstrap(tx: PrismaTx, keyId: string): Promise<void> {
  await recordAudit(
    tx,
    { actor: null, requestId: "bootstrap" },
    { action: "apiKey.bootstrap", targetType: "ApiKey", targetId: keyId },
  );
}

function withoutToken(key: { prefix: string; secretHash: string }) {
  return { prefix: key.prefix, secretHash: key.secretHash };
}
