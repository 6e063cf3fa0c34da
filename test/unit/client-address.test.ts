// The address an anonymous caller is counted under.
import { describe, expect, it } from "vitest";
import { clientAddress, normalizeAddress } from "../../src/server/client-address.ts";

describe("client address", () => {
  it("uses the connection's address when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress("203.0.113.7", "1.1.1.1", 0)).toBe("203.0.113.7");
    expect(clientAddress("::ffff:203.0.113.7", undefined, 0)).toBe("203.0.113.7");
  });

  it("takes the entry the outermost trusted proxy appended", () => {
    // client (forges 6.6.6.6) → proxy A (appends the client, 198.51.100.4) → proxy B → API
    const header = "6.6.6.6, 198.51.100.4, 10.0.0.2";
    expect(clientAddress("10.0.0.3", header, 2)).toBe("198.51.100.4");
    expect(clientAddress("10.0.0.3", header, 1)).toBe("10.0.0.2");
    // More hops trusted than entries: the first entry is the best there is.
    expect(clientAddress("10.0.0.3", "198.51.100.4", 5)).toBe("198.51.100.4");
    expect(clientAddress("10.0.0.3", undefined, 1)).toBe("10.0.0.3");
  });

  it("counts IPv6 clients per /64", () => {
    expect(normalizeAddress("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(normalizeAddress("2001:db8:1:2:ffff:1:2:3")).toBe("2001:db8:1:2::/64");
    expect(normalizeAddress("2001:0db8:0001:0002::9")).toBe("2001:db8:1:2::/64");
    expect(normalizeAddress("[::1]")).toBe("0:0:0:0::/64");
    expect(normalizeAddress("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(normalizeAddress("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
  });

  it("counts anything unreadable under one name", () => {
    expect(normalizeAddress("")).toBe("unknown");
    expect(normalizeAddress("not an address")).toBe("unknown");
  });
});
