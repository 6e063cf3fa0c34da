// The address a caller without an API key is counted under. X-Forwarded-For is only
// believed for as many hops as the operator says proxies stand in front of the API
// (`server.rateLimit.trustedProxyHops`): any client can write that header, so the entry a
// trusted proxy appended is the first one it did not write itself. IPv6 clients are counted
// per /64, the block one host usually holds, so rotating addresses within it gains nothing.
import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";

export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedProxyHops: number,
): string {
  let address = remoteAddress ?? "";
  if (trustedProxyHops > 0 && forwardedFor) {
    const chain = forwardedFor
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    chain.push(address);
    address = chain[Math.max(0, chain.length - 1 - trustedProxyHops)] ?? address;
  }
  return normalizeAddress(address);
}

/** The counted address of a request that reached node:http. */
export function addressOf(req: IncomingMessage | undefined, trustedProxyHops: number): string {
  const forwarded = req?.headers["x-forwarded-for"];
  return clientAddress(
    req?.socket.remoteAddress,
    Array.isArray(forwarded) ? forwarded.join(",") : forwarded,
    trustedProxyHops,
  );
}

export function normalizeAddress(raw: string): string {
  const address = raw.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(address)) return address;
  if (isIPv6(address)) return `${ipv6Groups(address).slice(0, 4).join(":")}::/64`;
  return "unknown";
}

/** The eight 16-bit groups of a valid IPv6 address, in lower-case hex without zero padding. */
function ipv6Groups(address: string): string[] {
  const [head = "", tail] = address.toLowerCase().split("::");
  const part = (text: string) =>
    text
      ? text.split(":").flatMap((group) => (group.includes(".") ? ipv4Groups(group) : [group]))
      : [];
  const front = part(head);
  const back = tail === undefined ? [] : part(tail);
  const zeros = Array<string>(8 - front.length - back.length).fill("0");
  return [...front, ...zeros, ...back].map((group) => Number.parseInt(group, 16).toString(16));
}

/** An embedded dotted IPv4 tail (e.g. 64:ff9b::192.0.2.1) as two hex groups. */
function ipv4Groups(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split(".").map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
