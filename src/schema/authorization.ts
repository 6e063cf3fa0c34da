// House rule: every root field states who may call it. A field without `authScopes`
// (use `{ public: true }` for open fields) fails the schema build, not a code review.
import { type GraphQLSchema, isObjectType } from "graphql";

export function assertRootFieldsAuthorized(schema: GraphQLSchema): void {
  const missing: string[] = [];
  for (const root of [
    schema.getQueryType(),
    schema.getMutationType(),
    schema.getSubscriptionType(),
  ]) {
    if (!root || !isObjectType(root)) continue;
    for (const field of Object.values(root.getFields())) {
      const options = field.extensions?.pothosOptions as { authScopes?: unknown } | undefined;
      if (!options?.authScopes) missing.push(`${root.name}.${field.name}`);
    }
  }
  if (missing.length > 0) {
    throw new Error(`root fields without an authorization rule: ${missing.join(", ")}`);
  }
}
