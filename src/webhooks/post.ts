// One webhook attempt over HTTP: POST the body, wait for the status line, and say how it
// went. Redirects are not followed (a 3xx is a failed attempt: the receiver should give
// its final URL). Unless private networks are allowed, every address the host resolves to
// must be public (src/domain/webhooks/addresses.ts), checked as the connection is made,
// so a name cannot pass the check and then resolve elsewhere.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { isPublicAddress } from "../domain/webhooks/addresses.ts";
import type { AttemptResult } from "../domain/webhooks/deliveries.ts";

export interface PostOutcome {
  result: AttemptResult;
  statusCode: number | null;
  /** Null on success. */
  error: string | null;
}

export interface PostOptions {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  /** Aborts the attempt (the sender is stopping). */
  signal?: AbortSignal;
}

class RefusedAddress extends Error {
  override name = "RefusedAddress";
}

/** dns.lookup that fails for a name resolving to any address that is not public. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, "", 0);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) {
      const message = `${hostname} resolves to ${refused.address}, which is not a public address`;
      return callback(new RefusedAddress(message), "", 0);
    }
    if (options.all)
      return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
};

export function postJson(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<PostOutcome> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (!options.allowPrivateNetworks && isIP(host) !== 0 && !isPublicAddress(host)) {
    return Promise.resolve({
      result: "refused",
      statusCode: null,
      error: `${host} is not a public address`,
    });
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  return new Promise<PostOutcome>((resolve) => {
    const client = target.protocol === "https:" ? https : http;
    const request = client.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        signal,
        // A connection per attempt: receivers are many and attempts rare.
        agent: false,
        ...(options.allowPrivateNetworks ? {} : { lookup: publicOnlyLookup }),
      },
      (response) => {
        // The answer's body means nothing to us; read it away so the socket closes.
        response.resume();
        response.on("error", () => {});
        const statusCode = response.statusCode ?? 0;
        resolve(
          statusCode >= 200 && statusCode < 300
            ? { result: "success", statusCode, error: null }
            : { result: "http_error", statusCode, error: `HTTP ${statusCode}` },
        );
      },
    );
    request.on("error", (error: Error) => {
      if (error instanceof RefusedAddress || error.cause instanceof RefusedAddress) {
        const refused = error instanceof RefusedAddress ? error : (error.cause as Error);
        return resolve({ result: "refused", statusCode: null, error: refused.message });
      }
      if (timeout.aborted) {
        return resolve({
          result: "timeout",
          statusCode: null,
          error: `no answer within ${options.timeoutMs} ms`,
        });
      }
      resolve({ result: "network_error", statusCode: null, error: error.message });
    });
    request.end(body);
  });
}
