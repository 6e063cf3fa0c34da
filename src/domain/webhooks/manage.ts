// Tenants' webhooks: created, changed, deleted and listed by the tenant's owners and by
// platform admins, every change audited. Another tenant's webhook answers NOT_FOUND, like
// one that does not exist. The secret is returned once, by createWebhook, and never shown
// again; views and audit rows leave it out.
import { z } from "zod";
import type { PrismaTx } from "../../db/database.ts";
import type { Webhook, WebhookDelivery } from "../../generated/prisma/client.ts";
import { recordAudit } from "../audit/record.ts";
import type { DomainContext } from "../context.ts";
import { NotFoundError, QuotaExceededError } from "../errors.ts";
import { canSeeTenant, requireAuthenticated, requireTenantRole } from "../principal.ts";
import { getVisibleTenant } from "../tenants.ts";
import { parseInput } from "../validation.ts";
import { WEBHOOK_EVENTS } from "./events.ts";
import { newWebhookSecret } from "./signature.ts";
import { checkWebhookUrl } from "./url.ts";

/** Each webhook multiplies every job ending of its tenant into a delivery: keep it few. */
export const MAX_WEBHOOKS_PER_TENANT = 20;

export type WebhookView = Omit<Webhook, "secret">;
const view = ({ secret: _hidden, ...rest }: Webhook): WebhookView => rest;

export type DeliveryView = Omit<WebhookDelivery, "id" | "jobEventId" | "payload"> & {
  id: string;
  /** The job event delivered, and the event id its receiver saw. */
  eventId: string;
};

const events = z
  .array(z.enum(WEBHOOK_EVENTS as [string, ...string[]]))
  .min(1, "name at least one event")
  .transform((list) => [...new Set(list)] as Webhook["events"]);

const createInput = z.object({
  tenant: z.string().min(1),
  url: z.string(),
  events: events.optional(),
  description: z.string().trim().max(200).default(""),
  enabled: z.boolean().default(true),
});
export type CreateWebhookInput = z.input<typeof createInput>;

const updateInput = z.object({
  url: z.string().optional(),
  events: events.optional(),
  description: z.string().trim().max(200).optional(),
  enabled: z.boolean().optional(),
});
export type UpdateWebhookInput = z.input<typeof updateInput>;

export async function createWebhook(
  ctx: DomainContext,
  raw: CreateWebhookInput,
): Promise<{ webhook: WebhookView; secret: string }> {
  const input = parseInput(createInput, raw);
  const url = checkWebhookUrl(input.url);
  const secret = newWebhookSecret();
  const webhook = await ctx.db.prisma.$transaction(async (tx) => {
    const tenant = await getVisibleTenant(ctx, input.tenant, tx);
    requireTenantRole(requireAuthenticated(ctx.actor), tenant.id, "OWNER");
    if ((await tx.webhook.count({ where: { tenantId: tenant.id } })) >= MAX_WEBHOOKS_PER_TENANT) {
      throw new QuotaExceededError(
        `a tenant may have at most ${MAX_WEBHOOKS_PER_TENANT} webhooks`,
        { limit: MAX_WEBHOOKS_PER_TENANT },
      );
    }
    const created = await tx.webhook.create({
      data: {
        tenantId: tenant.id,
        url,
        secret,
        events: input.events ?? [...WEBHOOK_EVENTS],
        description: input.description,
        enabled: input.enabled,
      },
    });
    await recordAudit(tx, ctx, {
      action: "webhook.create",
      tenantId: tenant.id,
      targetType: "Webhook",
      targetId: created.id,
      after: view(created),
    });
    return created;
  });
  return { webhook: view(webhook), secret };
}

export async function updateWebhook(
  ctx: DomainContext,
  id: string,
  raw: UpdateWebhookInput,
): Promise<WebhookView> {
  const input = parseInput(updateInput, raw);
  const url = input.url === undefined ? undefined : checkWebhookUrl(input.url);
  return ctx.db.prisma.$transaction(async (tx) => {
    const before = await findOwned(ctx, tx, id);
    const after = await tx.webhook.update({
      where: { id },
      data: {
        ...(url === undefined ? {} : { url }),
        ...(input.events === undefined ? {} : { events: input.events }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
      },
    });
    // A disabled webhook gets nothing, not even the retries it had coming.
    if (before.enabled && !after.enabled) await dropPending(tx, id, "the webhook was disabled");
    await recordAudit(tx, ctx, {
      action: "webhook.update",
      tenantId: after.tenantId,
      targetType: "Webhook",
      targetId: id,
      before: view(before),
      after: view(after),
    });
    return view(after);
  });
}

/** Deletes the webhook and its delivery log; pending deliveries go with it. */
export async function deleteWebhook(ctx: DomainContext, id: string): Promise<WebhookView> {
  return ctx.db.prisma.$transaction(async (tx) => {
    const before = await findOwned(ctx, tx, id);
    await tx.webhook.delete({ where: { id } });
    await recordAudit(tx, ctx, {
      action: "webhook.delete",
      tenantId: before.tenantId,
      targetType: "Webhook",
      targetId: id,
      before: view(before),
    });
    return view(before);
  });
}

export async function listWebhooks(ctx: DomainContext, tenantSlug: string): Promise<WebhookView[]> {
  const tenant = await getVisibleTenant(ctx, tenantSlug);
  requireTenantRole(requireAuthenticated(ctx.actor), tenant.id, "OWNER");
  const webhooks = await ctx.db.prisma.webhook.findMany({
    where: { tenantId: tenant.id },
    orderBy: { createdAt: "asc" },
  });
  return webhooks.map(view);
}

/** The latest deliveries of a webhook the caller was already allowed to see, newest first. */
export async function recentDeliveries(
  ctx: DomainContext,
  webhook: Pick<WebhookView, "id">,
  limit: number,
): Promise<DeliveryView[]> {
  const rows = await ctx.db.prisma.webhookDelivery.findMany({
    where: { webhookId: webhook.id },
    orderBy: { id: "desc" },
    take: Math.min(Math.max(limit, 1), 100),
  });
  return rows.map(({ id, jobEventId, payload: _payload, ...rest }) => ({
    ...rest,
    id: id.toString(),
    eventId: jobEventId.toString(),
  }));
}

/** The webhook, for one of its tenant's owners or an admin; NOT_FOUND for anyone else. */
async function findOwned(ctx: DomainContext, tx: PrismaTx, id: string): Promise<Webhook> {
  const actor = requireAuthenticated(ctx.actor);
  const webhook = z.uuid().safeParse(id).success
    ? await tx.webhook.findUnique({ where: { id } })
    : null;
  if (!webhook || !canSeeTenant(actor, webhook.tenantId)) throw new NotFoundError("webhook", id);
  requireTenantRole(actor, webhook.tenantId, "OWNER");
  return webhook;
}

async function dropPending(tx: PrismaTx, webhookId: string, reason: string): Promise<void> {
  await tx.webhookDelivery.updateMany({
    where: { webhookId, status: "PENDING" },
    data: { status: "FAILED", nextAttemptAt: null, error: reason },
  });
}
