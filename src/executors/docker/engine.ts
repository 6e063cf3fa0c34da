// What the executor asks the engine about itself: does it answer, what does the machine
// offer, which runtimes does it have. `docker info` is slow-ish (tens of ms) and its answer
// changes rarely, so it is kept for a while; a failed call is never kept.
import type Docker from "dockerode";

export interface EngineInfo {
  cpus: number;
  memoryBytes: number;
  runtimes: string[];
}

export interface Engine {
  /** Answers within `timeoutMs` or rejects. */
  ping(timeoutMs: number): Promise<void>;
  info(timeoutMs: number): Promise<EngineInfo>;
  /** Pings until the engine answers (true) or `graceMs` has passed (false). */
  answersAgain(graceMs: number): Promise<boolean>;
}

const INFO_TTL_MS = 30_000;
const RETRY_EVERY_MS = 500;

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the Docker engine did not answer ${what} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  // The request itself cannot be aborted through dockerode's typings here; when it loses the
  // race its late answer, or error, has no one left to tell.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function parseInfo(raw: unknown): EngineInfo {
  const info = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const cpus = info.NCPU;
  const memoryBytes = info.MemTotal;
  if (typeof cpus !== "number" || typeof memoryBytes !== "number")
    throw new Error(`docker info lacks NCPU or MemTotal: ${JSON.stringify(raw).slice(0, 200)}`);
  const runtimes =
    typeof info.Runtimes === "object" && info.Runtimes !== null ? Object.keys(info.Runtimes) : [];
  return { cpus, memoryBytes, runtimes };
}

export function createEngine(docker: Docker): Engine {
  let cached: { info: EngineInfo; at: number } | null = null;
  const engine: Engine = {
    async ping(timeoutMs) {
      await withTimeout(docker.ping(), timeoutMs, "a ping");
    },
    async info(timeoutMs) {
      if (cached && Date.now() - cached.at < INFO_TTL_MS) return cached.info;
      const info = parseInfo(await withTimeout(docker.info(), timeoutMs, "docker info"));
      cached = { info, at: Date.now() };
      return info;
    },
    async answersAgain(graceMs) {
      const deadline = Date.now() + graceMs;
      for (;;) {
        try {
          await engine.ping(Math.max(100, Math.min(2000, deadline - Date.now())));
          return true;
        } catch {
          // Expected while the engine is away: only whether it is back within the grace counts.
        }
        if (Date.now() + RETRY_EVERY_MS > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
      }
    },
  };
  return engine;
}
