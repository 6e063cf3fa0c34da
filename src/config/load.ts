// Loads the Config: YAML file (AUTOSCORER_CONFIG, else ./autoscorer.yaml when present),
// then environment overrides, then validation. A bad key stops start-up with a message that
// names the key and where its value came from.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { type Config, configSchema } from "./schema.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Well-known variables; anything else uses AUTOSCORER_<SECTION>__<KEY> (see below). */
const WELL_KNOWN_ENV: Record<string, string[]> = {
  PORT: ["server", "port"],
  HOST: ["server", "host"],
  DATABASE_URL: ["database", "url"],
  AUTOSCORER_ADMIN_KEY: ["adminKey"],
  AUTOSCORER_DATA_DIR: ["dataDir"],
  AUTOSCORER_INPUT_DIR: ["inputDir"],
  AUTOSCORER_WORKSPACE_DIR: ["workspaceDir"],
  AUTOSCORER_ENV: ["env"],
};

const camel = (snake: string) =>
  snake.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** AUTOSCORER_SCHEDULER__TICK_MS=500 → ["scheduler", "tickMs"]. */
function envPath(name: string): string[] | undefined {
  const known = WELL_KNOWN_ENV[name];
  if (known) return known;
  if (!name.startsWith("AUTOSCORER_") || !name.includes("__")) return undefined;
  return name.slice("AUTOSCORER_".length).split("__").map(camel);
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const leaf = keys[keys.length - 1];
  if (leaf) node[leaf] = value;
}

function readFileConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`config file ${file} is not valid YAML: ${detail}`, { cause: error });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a mapping of keys at the top level`);
  }
  return parsed as Record<string, unknown>;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Values that win over file and environment (CLI flags, tests). */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = env.AUTOSCORER_CONFIG;
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, "autoscorer.yaml");
  if (explicit && !existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
  const raw = existsSync(file) ? readFileConfig(file) : {};

  const sources = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    const keys = name === "AUTOSCORER_CONFIG" ? undefined : envPath(name);
    if (!keys || value === undefined || value === "") continue;
    // Scalars are read as YAML so "500" is a number and "true" a boolean.
    setPath(
      raw,
      keys,
      keys.at(-1) === "url" || keys.at(-1) === "adminKey" ? value : parseYaml(value),
    );
    sources.set(keys.join("."), `environment variable ${name}`);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    setPath(raw, key.split("."), value);
    sources.set(key, "override");
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const keys = issue.code === "unrecognized_keys" ? [...issue.path, ...issue.keys] : issue.path;
      const key = keys.join(".") || "(top level)";
      const fromEnv = [...sources].find(([k]) => k === key || k.startsWith(`${key}.`));
      const source = fromEnv?.[1] ?? (existsSync(file) ? file : "defaults");
      return `  ${key}: ${issue.message} (from ${source})`;
    });
    throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`);
  }
  return result.data;
}
