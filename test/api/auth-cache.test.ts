// The authenticator's cache: one key lookup for a burst of requests, none kept for failures,
// and a revocation anywhere clears it.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";

describe("API key cache", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    await createTenant(api, "alpha");
  });
  afterAll(() => api.close());

  it("looks a new key up once for a burst of requests that all carry it", async () => {
    // Issuing a key for a tenant announces the membership ("auth" over NOTIFY), which
    // clears the cache; let that land first, or it may clear it in the middle of the burst.
    const announced = new Promise<void>((resolve) => {
      const off = api.events.on("auth", undefined, () => {
        off();
        resolve();
      });
    });
    const { token } = await createKey(api, "alpha", "MEMBER");
    await announced;
    const lookups = vi.spyOn(api.db.prisma.apiKey, "findUnique");
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => api.gql(`{ me { role } }`, {}, token)),
      );
      expect(answers.map((a) => a.data)).toEqual(Array(20).fill({ me: { role: "MEMBER" } }));
      expect(lookups).toHaveBeenCalledTimes(1);
    } finally {
      lookups.mockRestore();
    }
  });

  it("does not remember a failed lookup", async () => {
    const bad = await Promise.all(
      Array.from({ length: 5 }, () => api.gql(`{ me { role } }`, {}, "ask_0123456789ab_nope")),
    );
    expect(bad.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    const lookups = vi.spyOn(api.db.prisma.apiKey, "findUnique");
    try {
      expect((await api.gql(`{ me { role } }`, {}, "ask_0123456789ab_nope")).status).toBe(401);
      expect(lookups).toHaveBeenCalledTimes(1);
    } finally {
      lookups.mockRestore();
    }
  });

  it("forgets a cached key as soon as it is revoked", async () => {
    const { token, id } = await createKey(api, "alpha", "VIEWER");
    expect((await api.gql(`{ me { role } }`, {}, token)).status).toBe(200);
    await api.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id });
    await expect.poll(async () => (await api.gql(`{ me { role } }`, {}, token)).status).toBe(401);
  });
});
