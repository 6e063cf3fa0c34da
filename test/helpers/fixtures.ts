// Common setup through the public API: tenants with quotas and keys of a given role.
import { expect } from "vitest";
import type { TestApi } from "./api.ts";

export async function createTenant(api: TestApi, slug: string, quota: Record<string, number> = {}) {
  const result = await api.gql<{ createTenant: { __typename: string; id: string } }>(
    `mutation($input: CreateTenantInput!) {
       createTenant(input: $input) { __typename ... on Tenant { id slug } ... on Error { code message } }
     }`,
    { input: { slug, name: `Tenant ${slug}`, quota } },
  );
  expect(result.data?.createTenant.__typename).toBe("Tenant");
  return result.data?.createTenant.id as string;
}

export async function createKey(
  api: TestApi,
  tenant: string,
  role: "OWNER" | "MEMBER" | "VIEWER" = "MEMBER",
  as?: string,
): Promise<{ token: string; id: string }> {
  const result = await api.gql<{
    createApiKey: { __typename: string; token: string; apiKey: { id: string } };
  }>(
    `mutation($input: CreateApiKeyInput!) {
       createApiKey(input: $input) {
         __typename
         ... on CreatedApiKey { token apiKey { id } }
         ... on Error { code message }
       }
     }`,
    { input: { tenant, name: `${role.toLowerCase()} key`, role } },
    as,
  );
  expect(result.data?.createApiKey.__typename).toBe("CreatedApiKey");
  const created = result.data?.createApiKey;
  return { token: created?.token as string, id: created?.apiKey.id as string };
}
