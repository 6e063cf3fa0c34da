// Limits on one GraphQL document, enforced by graphql-armor before anything runs: tokens while
// parsing (a 100k-token document stops at the limit instead of becoming an AST), then depth,
// aliases, directives and static cost as validation rules. Yoga caches parses and validation
// results per document, so a document the API has seen before costs none of this again.
//
// Armor's own rejections read "Syntax Error: …" without a code; its onReject callbacks turn
// them into the contract's VALIDATION_FAILED with a `details.reason`, reported on the
// validation context (graphql-js' way for a rule to fail a document) or, for the token limit,
// which fires inside the lexer with no context, thrown as the parse error.
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import type { GraphQLArmorRejectCallback } from "@escape.tech/graphql-armor-types";
import type { Plugin } from "graphql-yoga";
import { type RefusalReason, refusal } from "./refusals.ts";

export interface QueryLimits {
  enabled: boolean;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
}

/** Field suggestions ("Did you mean …?") name fields a caller has not asked for. */
export interface QueryLimitOptions {
  hideSuggestions: boolean;
}

const rejectAs =
  (reason: RefusalReason, limit: number): GraphQLArmorRejectCallback =>
  (context, error) => {
    const coded = refusal(reason, error.message.replace(/^Syntax Error: /, ""), { limit });
    if (!context) throw coded;
    context.reportError(coded);
  };

export function useQueryLimits(limits: QueryLimits, options: QueryLimitOptions): Plugin {
  // Armor enables every protection it is not told about; `enabled` follows ours.
  const on = (reason: RefusalReason, limit: number) => ({
    enabled: limits.enabled,
    propagateOnRejection: false,
    onReject: [rejectAs(reason, limit)],
  });
  return EnvelopArmorPlugin({
    maxTokens: { ...on("MAX_TOKENS", limits.maxTokens), n: limits.maxTokens },
    // Union results (`... on Error`) are how this schema answers, so a fragment is no level.
    maxDepth: {
      ...on("MAX_DEPTH", limits.maxDepth),
      n: limits.maxDepth,
      flattenFragments: true,
    },
    maxAliases: { ...on("MAX_ALIASES", limits.maxAliases), n: limits.maxAliases },
    maxDirectives: { ...on("MAX_DIRECTIVES", limits.maxDirectives), n: limits.maxDirectives },
    costLimit: {
      ...on("MAX_COST", limits.maxCost),
      maxCost: limits.maxCost,
      flattenFragments: true,
    },
    blockFieldSuggestion: { enabled: options.hideSuggestions },
  });
}
