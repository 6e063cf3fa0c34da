// Reads deploy/compose.yaml as Docker Compose would: YAML with anchors and merge keys
// (`<<:`), then variable interpolation from the environment or .env (`${NAME}`,
// `${NAME:-default}`, `${NAME:?error}`; `$$` is a literal dollar).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

export const COMPOSE_FILE = path.resolve(import.meta.dirname, "../../deploy/compose.yaml");

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-|:?\?)([^}]*))?\}/g;

/** Compose's interpolation of one string; throws, as Compose does, on a required variable. */
export function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(VARIABLE, (match, name: string | undefined, op?: string, arg = "") => {
    if (match === "$$") return "$";
    const value = vars[name ?? ""];
    const missing = op?.startsWith(":") ? !value : value === undefined;
    if (op?.endsWith("-")) return missing ? arg : String(value);
    if (op?.endsWith("?") && missing) throw new Error(`required variable ${name}: ${arg}`);
    return value ?? "";
  });
}

function interpolateAll(node: unknown, vars: Record<string, string>): unknown {
  if (typeof node === "string") return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, vars));
  if (node && typeof node === "object")
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, interpolateAll(value, vars)]),
    );
  return node;
}

export function loadCompose(vars: Record<string, string>): ComposeFile {
  // YAML 1.2 leaves `<<` alone unless asked; Compose merges it.
  const raw: unknown = parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true });
  return interpolateAll(raw, vars) as ComposeFile;
}
