// A webhook URL: absolute http(s), with a host, without credentials (they would be stored
// and shown in plain text; the signature is how receivers authenticate us). Addresses are
// checked when delivering (./addresses.ts), where the name is actually resolved.
import { ValidationError } from "../errors.ts";

const MAX_URL_LENGTH = 2048;

export function checkWebhookUrl(raw: string): string {
  const refuse = (message: string): never => {
    throw new ValidationError([{ field: "url", message }]);
  };
  const text = raw.trim();
  if (text.length > MAX_URL_LENGTH) refuse(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse("must be an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") refuse("must use http or https");
  if (url.username || url.password) refuse("must not carry credentials");
  if (!url.hostname) refuse("must name a host");
  // A fragment never reaches the receiver; keeping it would only mislead.
  url.hash = "";
  return url.toString();
}
