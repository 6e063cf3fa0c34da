// Tenants' webhooks for finished jobs: their owners (and platform admins) create, change,
// delete and list them, with each webhook's recent deliveries. The secret appears once, in
// createWebhook's answer. Rules in src/domain/webhooks; delivery in src/webhooks.
import * as webhooks from "../domain/webhooks/manage.ts";
import type * as model from "../generated/prisma/enums.ts";
import { builder } from "./builder.ts";
import { withoutNulls } from "./tenants.ts";

const WebhookEvent = builder.enumType("WebhookEvent", {
  values: {
    JOB_SUCCEEDED: { description: "A job ended SUCCEEDED (the body carries its score)" },
    JOB_FAILED: { description: "A job ended FAILED or TIMED_OUT (the body carries its errorCode)" },
    JOB_CANCELLED: { description: "A job ended CANCELLED" },
  } satisfies Record<model.WebhookEvent, unknown>,
});

const WebhookDeliveryStatus = builder.enumType("WebhookDeliveryStatus", {
  values: {
    PENDING: { description: "Not delivered yet; `nextAttemptAt` says when it is tried next" },
    DELIVERED: { description: "The receiver answered 2xx" },
    FAILED: { description: "Its attempts ran out, or the webhook was disabled meanwhile" },
  } satisfies Record<model.WebhookDeliveryStatus, unknown>,
});

const WebhookDeliveryRef = builder.objectRef<webhooks.DeliveryView>("WebhookDelivery").implement({
  description: "One job event sent (or being sent) to one webhook",
  fields: (t) => ({
    id: t.exposeID("id"),
    jobId: t.exposeID("jobId"),
    eventId: t.exposeString("eventId", {
      description: "The X-AutoScorer-Event-Id receivers de-duplicate on",
    }),
    event: t.expose("event", { type: WebhookEvent }),
    status: t.expose("status", { type: WebhookDeliveryStatus }),
    attempt: t.exposeInt("attempt", { description: "Attempts made so far" }),
    statusCode: t.exposeInt("statusCode", {
      nullable: true,
      description: "The last attempt's HTTP status, when the receiver answered",
    }),
    error: t.exposeString("error", { nullable: true, description: "Why the last attempt failed" }),
    nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true }),
    lastAttemptAt: t.expose("lastAttemptAt", { type: "DateTime", nullable: true }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const WebhookRef = builder.objectRef<webhooks.WebhookView>("Webhook").implement({
  description: "A tenant's endpoint for its jobs' endings; deliveries are signed with its secret",
  fields: (t) => ({
    id: t.exposeID("id"),
    url: t.exposeString("url"),
    events: t.expose("events", { type: [WebhookEvent] }),
    enabled: t.exposeBoolean("enabled"),
    description: t.exposeString("description"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    deliveries: t.field({
      type: [WebhookDeliveryRef],
      description: "The latest deliveries, newest first (at most 100)",
      args: { last: t.arg.int({ defaultValue: 20 }) },
      resolve: (webhook, args, ctx) =>
        webhooks.recentDeliveries(ctx.domain, webhook, args.last ?? 20),
    }),
  }),
});

const CreatedWebhook = builder
  .objectRef<{ webhook: webhooks.WebhookView; secret: string }>("CreatedWebhook")
  .implement({
    fields: (t) => ({
      webhook: t.field({ type: WebhookRef, resolve: (p) => p.webhook }),
      secret: t.exposeString("secret", {
        description: "Signs every delivery (HMAC-SHA256); shown only this once",
      }),
    }),
  });

const CreateWebhookInput = builder.inputType("CreateWebhookInput", {
  fields: (t) => ({
    tenant: t.string({ required: true, description: "Tenant slug" }),
    url: t.string({ required: true, description: "http(s), without credentials" }),
    events: t.field({ type: [WebhookEvent], description: "Default: every event" }),
    description: t.string(),
    enabled: t.boolean({ description: "Default true" }),
  }),
});

const UpdateWebhookInput = builder.inputType("UpdateWebhookInput", {
  description: "Fields to change; omitted ones keep their value",
  fields: (t) => ({
    url: t.string(),
    events: t.field({ type: [WebhookEvent] }),
    description: t.string(),
    enabled: t.boolean({ description: "Disabling drops the deliveries still pending" }),
  }),
});

builder.queryFields((t) => ({
  webhooks: t.field({
    type: [WebhookRef],
    authScopes: { authenticated: true },
    description: "A tenant's webhooks, oldest first; its owners and platform admins only",
    errors: {},
    args: { tenant: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => webhooks.listWebhooks(ctx.domain, args.tenant),
  }),
}));

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: CreatedWebhook,
    authScopes: { authenticated: true },
    errors: {},
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: (_root, { input }, ctx) => webhooks.createWebhook(ctx.domain, withoutNulls(input)),
  }),
  updateWebhook: t.field({
    type: WebhookRef,
    authScopes: { authenticated: true },
    errors: {},
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateWebhookInput, required: true }),
    },
    resolve: (_root, args, ctx) =>
      webhooks.updateWebhook(ctx.domain, String(args.id), withoutNulls(args.input)),
  }),
  deleteWebhook: t.field({
    type: WebhookRef,
    authScopes: { authenticated: true },
    description: "Deletes the webhook with its delivery log; returns it as it was",
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => webhooks.deleteWebhook(ctx.domain, String(args.id)),
  }),
}));
