// HTTP-level guards that Yoga and its plugins enforce, with their refusals in the contract's
// shape (refusals.ts): Yoga's own body-size and batching limits answer with its codes
// (REQUEST_ENTITY_TOO_LARGE, BAD_REQUEST), and the CSRF plugin with none, so their errors are
// re-coded here; the limits themselves stay the libraries'.
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError, NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import { refusal } from "./refusals.ts";

/** The header a browser cannot send cross-site without a CORS preflight (Yoga's default). */
export const CSRF_HEADER = "x-graphql-yoga-csrf";

/**
 * Requests a browser would send cross-site without a preflight (GET, or a POST of a form or
 * text/plain body) must carry CSRF_HEADER; JSON POSTs, what every client here sends, pass.
 */
export function useCsrfPrevention(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      try {
        // The plugin's hook is synchronous: it throws or returns nothing. (Its payload type is
        // Yoga's for another context type; the hook reads only the request's headers.)
        csrf.onRequestParse?.(payload as never);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        throw refusal(
          "CSRF_HEADER_MISSING",
          `a GET or form-encoded GraphQL request must carry the ${CSRF_HEADER} header; send JSON (content-type: application/json) or add the header`,
          { code: "FORBIDDEN", status: 403 },
        );
      }
    },
  };
}

/**
 * Validation refuses `__schema` and `__type` (not `__typename`) with graphql-js' own rule.
 * Not @graphql-yoga/plugin-disable-introspection: it marks requests in onRequestParse, which
 * WebSocket operations (run through `getEnveloped`) never pass, so they would introspect.
 */
export function useNoIntrospection(): Plugin {
  return {
    onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
  };
}

export interface BuiltInLimits {
  maxBodyBytes: number;
  maxBatchOperations: number;
}

/** Gives Yoga's own body-size and batching refusals the contract's code and reason. */
export function useBuiltInRefusalCodes(limits: BuiltInLimits): Plugin {
  const recode = (error: GraphQLError): GraphQLError => {
    const code = error.extensions?.code;
    if (code === "REQUEST_ENTITY_TOO_LARGE") {
      return refusal(
        "BODY_TOO_LARGE",
        `request body larger than ${limits.maxBodyBytes} bytes (server.maxBodyBytes)`,
        { status: 413, limit: limits.maxBodyBytes },
      );
    }
    if (code === "BAD_REQUEST" && error.message.startsWith("Batching ")) {
      return refusal(
        "BATCH_TOO_LARGE",
        limits.maxBatchOperations > 0
          ? `a batch may hold at most ${limits.maxBatchOperations} operations (server.maxBatchOperations)`
          : "batched requests are not accepted (server.maxBatchOperations is 0)",
        { status: 413, limit: limits.maxBatchOperations },
      );
    }
    return error;
  };
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !("errors" in result) || !result.errors?.length) return;
      if (!result.errors.some((e) => e instanceof GraphQLError && e.extensions?.code)) return;
      setResult({
        ...result,
        errors: result.errors.map((e) => (e instanceof GraphQLError ? recode(e) : e)),
      });
    },
  };
}
