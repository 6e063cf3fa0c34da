// The scorer registry: the built-ins plus plugins from a folder, reloaded when a file there
// changes (fs.watch, debounced) or on demand. A reload builds a complete new table and
// swaps it in, so a lookup never sees half a reload; a plugin that fails to load is
// reported and skipped, and the rest keep working.

import { createHash } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { BUILTIN_SCORERS } from "./builtins/index.ts";
import { DEFAULT_DEFECT_CAP } from "./errors.ts";
import { PLUGIN_EXTENSIONS } from "./plugins/api.ts";
import { checkInfo, pluginScorer } from "./plugins/plugin-scorer.ts";
import { runPluginTask, type SandboxLimits } from "./plugins/sandbox.ts";
import type { ScorerLookup } from "./score-workspace.ts";
import type { ReadCaps, Scorer, ScorerInfo } from "./types.ts";

export const DEFAULT_CAPS: ReadCaps = {
  maxCsvBytes: 2 * 1024 ** 3,
  maxJsonBytes: 512 * 1024 ** 2,
  defectCap: DEFAULT_DEFECT_CAP,
};

export interface RegistryOptions {
  /** Folder of plugin modules; absent, only the built-ins exist. */
  pluginDir?: string;
  /** Per plugin run (and per load). */
  timeLimitMs?: number;
  /** Heap limit of a plugin's worker. */
  memoryMb?: number;
  /** Reload when a file in pluginDir changes. */
  watch?: boolean;
  debounceMs?: number;
  caps?: Partial<ReadCaps>;
  /** Load problems and reloads, for the host's logger. */
  onEvent?: (message: string, fields: Record<string, unknown>) => void;
}

export interface PluginLoadError {
  file: string;
  message: string;
}

export interface ReloadReport {
  scorers: ScorerInfo[];
  errors: PluginLoadError[];
}

export interface ScorerRegistry extends ScorerLookup {
  has(name: string): boolean;
  get(name: string): Scorer | undefined;
  list(): ScorerInfo[];
  /** Problems from the last load of the plugin folder. */
  loadErrors(): PluginLoadError[];
  reload(): Promise<ReloadReport>;
  /** Resolves after the next reload finishes (a watcher's or a caller's). */
  nextReload(): Promise<ReloadReport>;
  close(): void;
}

interface LoadedPlugin {
  file: string;
  stamp: string;
  scorer: Scorer | null;
  error: string | null;
}

const info = (s: Scorer): ScorerInfo => ({
  name: s.name,
  version: s.version,
  kind: s.kind,
  description: s.description,
  paramsSchema: s.paramsSchema,
  defaultMetric: s.defaultMetric,
  format: s.format,
});

async function pluginFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    },
  );
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith(".") && !e.name.endsWith(".d.ts"))
    .filter((e) => PLUGIN_EXTENSIONS.includes(path.extname(e.name)))
    .map((e) => path.join(dir, e.name))
    .sort();
}

export async function createScorerRegistry(options: RegistryOptions = {}): Promise<ScorerRegistry> {
  const limits: SandboxLimits = {
    timeLimitMs: options.timeLimitMs ?? 60_000,
    memoryMb: options.memoryMb ?? 512,
  };
  const caps: ReadCaps = { ...DEFAULT_CAPS, ...options.caps };
  const builtins = new Map(BUILTIN_SCORERS.map((s) => [s.name, s]));
  let table = new Map<string, Scorer>(builtins);
  let errors: PluginLoadError[] = [];
  /** Per file: what was loaded from which content, so unchanged files are not re-described. */
  let loaded = new Map<string, LoadedPlugin>();
  let waiters: Array<(report: ReloadReport) => void> = [];
  let running: Promise<ReloadReport> | null = null;
  let followUp: Promise<ReloadReport> | null = null;
  const emit = options.onEvent ?? (() => {});

  async function loadFile(file: string): Promise<LoadedPlugin> {
    // The content, not the mtime: two edits within one timestamp tick still differ.
    const stamp = createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
    const previous = loaded.get(file);
    if (previous && previous.stamp === stamp) return previous;
    try {
      const reply = await runPluginTask(
        file,
        { kind: "describe" },
        { ...limits, timeLimitMs: Math.min(limits.timeLimitMs, 10_000) },
      );
      const problem = checkInfo(reply.info);
      if (problem) return { file, stamp, scorer: null, error: problem };
      return { file, stamp, scorer: pluginScorer(file, reply.info, limits), error: null };
    } catch (error) {
      return {
        file,
        stamp,
        scorer: null,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  async function loadAll(): Promise<ReloadReport> {
    const files = options.pluginDir ? await pluginFiles(options.pluginDir) : [];
    const results = await Promise.all(
      files.map((file) =>
        loadFile(file).catch((error: unknown) => ({
          file,
          stamp: "",
          scorer: null,
          error: error instanceof Error ? error.message : String(error),
        })),
      ),
    );
    const next = new Map<string, Scorer>(builtins);
    const nextErrors: PluginLoadError[] = [];
    for (const plugin of results) {
      if (plugin.error || !plugin.scorer) {
        nextErrors.push({ file: plugin.file, message: plugin.error ?? "not loaded" });
        continue;
      }
      const taken = next.get(plugin.scorer.name);
      if (taken) {
        const owner = taken.kind === "BUILTIN" ? "a built-in scorer" : "another plugin";
        nextErrors.push({
          file: plugin.file,
          message: `name "${plugin.scorer.name}" is already used by ${owner}`,
        });
        continue;
      }
      next.set(plugin.scorer.name, plugin.scorer);
    }
    table = next;
    errors = nextErrors;
    loaded = new Map(results.map((r) => [r.file, r]));
    for (const error of nextErrors) emit("scorer plugin not loaded", { ...error });
    const report = { scorers: [...table.values()].map(info), errors: nextErrors };
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve(report);
    return report;
  }

  /** One reload at a time; requests during a reload share one more run after it. */
  function reload(): Promise<ReloadReport> {
    if (!running) {
      running = loadAll().finally(() => {
        running = null;
      });
      return running;
    }
    followUp ??= running
      .catch(() => undefined)
      .then(() => {
        followUp = null;
        return reload();
      });
    return followUp;
  }

  await reload();

  let watcher: FSWatcher | null = null;
  let debounce: NodeJS.Timeout | null = null;
  if (options.watch && options.pluginDir) {
    try {
      watcher = watch(options.pluginDir, { persistent: false }, () => {
        if (debounce) clearTimeout(debounce);
        debounce = setTimeout(() => {
          debounce = null;
          void reload()
            .then((report) =>
              emit("scorer plugins reloaded", {
                scorers: report.scorers.map((s) => `${s.name}@${s.version}`),
              }),
            )
            .catch((error: unknown) => emit("scorer reload failed", { error }));
        }, options.debounceMs ?? 150);
        debounce.unref();
      });
      watcher.on("error", (error) => emit("scorer plugin watcher failed", { error }));
    } catch (error) {
      emit("cannot watch the scorer plugin folder", { error, pluginDir: options.pluginDir });
    }
  }

  return {
    caps,
    has: (name) => table.has(name),
    get: (name) => table.get(name),
    list: () => [...table.values()].map(info).sort((a, b) => a.name.localeCompare(b.name)),
    loadErrors: () => errors,
    reload,
    nextReload: () => new Promise((resolve) => waiters.push(resolve)),
    close() {
      watcher?.close();
      if (debounce) clearTimeout(debounce);
    },
  };
}
