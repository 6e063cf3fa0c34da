// Label and field selectors as the API server parses them. A selector the server cannot
// parse is a 400, not an empty match: a client with a typo must hear about it.
import { badRequest } from "./status.ts";

export type Matcher = (object: SelectableObject) => boolean;

export interface SelectableObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  status?: unknown;
}

type Requirement =
  | { op: "=" | "!="; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] }
  | { op: "exists" | "!exists"; key: string };

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas outside parentheses: "a in (x,y),b" → ["a in (x,y)", "b"]. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth += 1;
    if (char === ")") depth -= 1;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseRequirement(text: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  let requirement: Requirement;
  if (set) {
    const values = (set[3] ?? "").split(",").map((v) => v.trim());
    requirement = { op: set[2] as "in" | "notin", key: set[1] ?? "", values };
    if (values.some((v) => !VALUE.test(v))) throw badRequest(`invalid label selector: "${text}"`);
  } else if (text.startsWith("!")) {
    requirement = { op: "!exists", key: text.slice(1).trim() };
  } else {
    const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
    if (equality) {
      const value = equality[3] ?? "";
      if (!VALUE.test(value)) throw badRequest(`invalid label selector: "${text}"`);
      requirement = { op: equality[2] === "!=" ? "!=" : "=", key: equality[1] ?? "", value };
    } else requirement = { op: "exists", key: text };
  }
  if (!KEY.test(requirement.key)) throw badRequest(`invalid label selector: "${text}"`);
  return requirement;
}

export function parseLabelSelector(text: string | null): Matcher {
  if (!text) return () => true;
  const requirements = splitTopLevel(text).map(parseRequirement);
  return (object) => {
    const labels = object.metadata?.labels ?? {};
    return requirements.every((r) => {
      const value = labels[r.key];
      switch (r.op) {
        case "=":
          return value === r.value;
        case "!=":
          return value !== r.value;
        case "in":
          return value !== undefined && r.values.includes(value);
        case "notin":
          return value === undefined || !r.values.includes(value);
        case "exists":
          return value !== undefined;
        // "!exists"
        default:
          return value === undefined;
      }
    });
  };
}

/** The fields each resource can be selected by, and how to read them. */
const FIELDS: Record<string, Record<string, (object: SelectableObject) => string>> = {
  jobs: {
    "metadata.name": (o) => o.metadata?.name ?? "",
    "metadata.namespace": (o) => o.metadata?.namespace ?? "",
  },
  pods: {
    "metadata.name": (o) => o.metadata?.name ?? "",
    "metadata.namespace": (o) => o.metadata?.namespace ?? "",
    "spec.nodeName": (o) => String((o.spec as { nodeName?: string } | undefined)?.nodeName ?? ""),
    "status.phase": (o) => String((o.status as { phase?: string } | undefined)?.phase ?? ""),
  },
};

export function parseFieldSelector(resource: string, text: string | null): Matcher {
  if (!text) return () => true;
  const fields = FIELDS[resource] ?? {};
  const terms = text.split(",").map((term) => {
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!match) throw badRequest(`invalid field selector: "${term}"`);
    const [, field = "", op, value = ""] = match;
    const read = fields[field];
    if (!read)
      throw badRequest(
        `"${field}" is not a known field selector: only ${Object.keys(fields)
          .map((f) => `"${f}"`)
          .join(", ")}`,
      );
    return { read, negate: op === "!=", value };
  });
  return (object) => terms.every((t) => (t.read(object) === t.value) !== t.negate);
}
