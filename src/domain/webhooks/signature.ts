// Signing deliveries: the receiver recomputes HMAC-SHA256 of the raw body under the
// webhook's secret and compares it, in constant time, with X-AutoScorer-Signature.
import { createHmac, randomBytes } from "node:crypto";

export const SIGNATURE_HEADER = "x-autoscorer-signature";

/** 256 random bits; shown to the tenant once, when the webhook is created. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** The X-AutoScorer-Signature value of `body`: `sha256=` and the HMAC in hex. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
