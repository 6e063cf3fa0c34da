// How what Kubernetes reports becomes an execution outcome. Two sources: the API server
// refusing or not answering a call, and the pod's and Job's status telling how the run went.
import { ApiException } from "@kubernetes/client-node";
import { exited, failed } from "../run/outcomes.ts";
import type { ExecutionErrorCode, RunOutcome } from "../types.ts";

/** A failed API call, whichever way it failed. `code` is null when no HTTP answer came. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    message: string,
    readonly code: number | null,
    readonly reason: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Worth trying again: no answer, a server error, throttling, a timeout. */
  get transient(): boolean {
    return this.code === null || this.code === 429 || this.code >= 500;
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
}

function statusBody(body: unknown): StatusBody | null {
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return typeof body === "object" && body !== null ? (body as StatusBody) : null;
}

/** The innermost message: "fetch failed" says less than the ECONNREFUSED it wraps. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    const e = current as { message?: string; code?: string; cause?: unknown };
    parts.push([e.code, e.message].filter(Boolean).join(" "));
    current = e.cause;
  }
  return parts.filter(Boolean).join(": ") || String(error);
}

/** Any error of a client-node call (or our own requests) as a KubeApiError. */
export function apiError(error: unknown, doing: string): KubeApiError {
  if (error instanceof KubeApiError) return error;
  if (error instanceof ApiException) {
    const status = statusBody(error.body);
    return new KubeApiError(
      `${doing}: ${error.code} ${status?.reason ?? ""} ${status?.message ?? ""}`.trim(),
      error.code,
      status?.reason ?? null,
      { cause: error },
    );
  }
  const code = (error as { statusCode?: unknown }).statusCode;
  if (typeof code === "number")
    return new KubeApiError(`${doing}: HTTP ${code}`, code, null, { cause: error });
  return new KubeApiError(`${doing}: ${describe(error)}`, null, null, { cause: error });
}

/** What a refused Job creation means for the run (409 is handled before: re-attach). */
export function createRefusalCode(error: KubeApiError): ExecutionErrorCode {
  // A ResourceQuota is full: the cluster has no room for this run now.
  if (error.code === 403 && /exceeded quota/i.test(error.message)) return "NO_EXECUTOR_AVAILABLE";
  // The manifest itself (or an admission webhook, a Pod Security admission) said no.
  if (error.code === 400 || error.code === 422) return "CONTAINER_CREATE_FAILED";
  if (error.code === 403 && /violates PodSecurity/i.test(error.message))
    return "CONTAINER_CREATE_FAILED";
  // No answer, no permission, no namespace: this executor cannot run anything.
  return "EXECUTOR_UNAVAILABLE";
}

const IMAGE_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "InvalidImageName",
  "ImageInspectError",
]);
const CREATE_REASONS = new Set([
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "PreCreateHookError",
  "PreStartHookError",
]);

/** A waiting container that will not start by itself; null while it may still start. */
export function waitingFailure(reason: string, message: string | undefined): RunOutcome | null {
  const detail = message ? `: ${message}` : "";
  if (IMAGE_REASONS.has(reason))
    return failed("IMAGE_NOT_FOUND", `the image could not be pulled (${reason})${detail}`);
  if (CREATE_REASONS.has(reason))
    return failed(
      "CONTAINER_CREATE_FAILED",
      `the container could not be created (${reason})${detail}`,
    );
  return null;
}

/** An unschedulable pod past the bound: a missing GPU is told apart from a full cluster. */
export function unschedulableOutcome(message: string, waitedSeconds: number): RunOutcome {
  const code = /nvidia\.com\/gpu/.test(message) ? "GPU_NOT_AVAILABLE" : "NO_EXECUTOR_AVAILABLE";
  return failed(code, `no node could take the run within ${waitedSeconds} s: ${message}`);
}

export interface TerminatedState {
  exitCode: number;
  reason?: string;
  message?: string;
  signal?: number;
}

/** How a container that ran to its end went. */
export function terminatedOutcome(state: TerminatedState, durationMs: number): RunOutcome {
  if (state.reason === "OOMKilled")
    return failed("MEMORY_LIMIT_EXCEEDED", "the container was killed above its memory limit", {
      exitCode: state.exitCode,
      signal: "SIGKILL",
      durationMs,
    });
  if (state.reason === "StartError" || state.reason === "ContainerCannotRun")
    return failed(
      "EXECUTION_FAILED",
      `the command could not start: ${state.message ?? state.reason}`,
      { exitCode: state.exitCode, durationMs },
    );
  // 128 + n: the process died of signal n (what a shell and a container runtime report).
  const signal =
    state.exitCode > 128 && state.exitCode < 160 ? SIGNALS[state.exitCode - 128] : undefined;
  return exited(state.exitCode, signal ?? null, durationMs);
}

const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  6: "SIGABRT",
  9: "SIGKILL",
  15: "SIGTERM",
};

/** The Job's own verdict on a run whose pod gives none (deleted, evicted). */
export function jobFailureOutcome(reason: string, message: string | undefined): RunOutcome {
  if (reason === "DeadlineExceeded")
    return failed(
      "TIME_LIMIT_EXCEEDED",
      `the Job passed its activeDeadlineSeconds${message ? ` (${message})` : ""}`,
    );
  return failed("EXECUTION_FAILED", `the Job failed: ${reason}${message ? `: ${message}` : ""}`);
}

/**
 * A pod the node failed as a whole (status.reason), whatever its container reports: an
 * eviction for node pressure or a preemption is the cluster's doing (EXECUTOR_UNAVAILABLE,
 * worth another try); an eviction for the run's own disk use (its emptyDir past its size)
 * is the run's.
 */
export function podFailure(
  phase: string | undefined,
  reason: string | undefined,
  message: string | undefined,
): RunOutcome | null {
  if (phase !== "Failed" || !reason) return null;
  const detail = message ? `: ${message}` : "";
  if (reason === "Evicted" && /emptydir|ephemeral/i.test(message ?? ""))
    return failed("EXECUTION_FAILED", `the run used more disk than it may${detail}`);
  if (reason === "DeadlineExceeded")
    return failed("TIME_LIMIT_EXCEEDED", `the pod passed its deadline${detail}`);
  return failed("EXECUTOR_UNAVAILABLE", `the cluster stopped the pod (${reason})${detail}`);
}
