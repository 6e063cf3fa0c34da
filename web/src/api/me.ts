// Who the key belongs to: decides the pages (team dashboard, admin console) and the
// tenant whose live feeds the dashboard follows.
export const ME_QUERY = `query Me {
  me {
    isPlatformAdmin
    role
    tenant { slug name status }
    user { name email }
    apiKey { name prefix }
  }
}`;

export interface Me {
  isPlatformAdmin: boolean;
  role: "OWNER" | "MEMBER" | "VIEWER" | null;
  tenant: { slug: string; name: string; status: "ACTIVE" | "SUSPENDED" } | null;
  user: { name: string; email: string };
  apiKey: { name: string; prefix: string };
}
