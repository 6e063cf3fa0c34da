// What the engine's failures mean for a run. dockerode reports two kinds: the engine
// answered with an HTTP status (`statusCode`, and its message in `json.message`), or it
// could not be reached at all (a Node socket error with an errno `code`). The first is
// about this run; the second is about the node, and ends the run EXECUTOR_UNAVAILABLE.
import type { ExecutionErrorCode } from "../types.ts";

/** A run cannot go on; `code` is the outcome it ends with. */
export class RunFailure extends Error {
  override name = "RunFailure";
  constructor(
    readonly code: ExecutionErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The engine does not answer: thrown by `adopt` and `sweep`, which have no outcome to carry it. */
export class ExecutorUnavailableError extends Error {
  override name = "ExecutorUnavailableError";
  readonly code = "EXECUTOR_UNAVAILABLE" as const;
}

/** Socket-level failures: nothing listens, no permission, or the engine went away mid-call. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOENT",
  "EACCES",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

interface EngineErrorShape {
  statusCode?: unknown;
  code?: unknown;
  json?: unknown;
  message?: unknown;
}

const shape = (error: unknown): EngineErrorShape =>
  typeof error === "object" && error !== null ? (error as EngineErrorShape) : {};

export function engineStatus(error: unknown): number | undefined {
  const status = shape(error).statusCode;
  return typeof status === "number" ? status : undefined;
}

export function isEngineUnreachable(error: unknown): boolean {
  const { code, statusCode, message } = shape(error);
  if (typeof statusCode === "number") return false;
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
  return typeof message === "string" && /socket hang up/i.test(message);
}

/** The engine's own words when it answered; the error's message otherwise. */
export function engineMessage(error: unknown): string {
  const { json, message } = shape(error);
  if (typeof json === "object" && json !== null && "message" in json) {
    const text = (json as { message: unknown }).message;
    if (typeof text === "string") return text.trim();
  }
  if (typeof message === "string") return message.trim();
  return String(error);
}

export const isNotFound = (error: unknown) => engineStatus(error) === 404;

/** 304 (already stopped) and 409 (not running) answer a kill of a container that ended. */
export const isAlreadyStopped = (error: unknown) => {
  const status = engineStatus(error);
  return status === 304 || status === 409;
};

export function unreachable(error: unknown, doing: string): RunFailure {
  return new RunFailure(
    "EXECUTOR_UNAVAILABLE",
    `the Docker engine could not be reached while ${doing}: ${engineMessage(error)}`,
    { cause: error },
  );
}

/** A failed container create: an image the engine does not have, or a config it refused. */
export function createFailure(error: unknown, image: string): RunFailure {
  if (error instanceof RunFailure) return error;
  if (isEngineUnreachable(error)) return unreachable(error, "creating the container");
  const message = engineMessage(error);
  if (isNotFound(error) || /invalid reference format/i.test(message))
    return new RunFailure("IMAGE_NOT_FOUND", `image ${image}: ${message}`, { cause: error });
  if (engineStatus(error) === 409)
    return new RunFailure(
      "CONTAINER_CREATE_FAILED",
      `a container for this run already exists on this node (adopt or sweep it first): ${message}`,
      { cause: error },
    );
  return new RunFailure(
    "CONTAINER_CREATE_FAILED",
    `the container could not be created: ${message}`,
    {
      cause: error,
    },
  );
}

/**
 * A failed start. The runtime refusing to exec the command (not found, not executable) is
 * the team's mistake and ends EXECUTION_FAILED like any command that fails; every other
 * refusal is the node's.
 */
export function startFailure(error: unknown): RunFailure {
  if (isEngineUnreachable(error)) return unreachable(error, "starting the container");
  const message = engineMessage(error);
  if (
    /starting container process caused:? .*exec/i.test(message) ||
    /executable file not found/i.test(message)
  )
    return new RunFailure("EXECUTION_FAILED", `the command could not start: ${message}`, {
      cause: error,
    });
  return new RunFailure("CONTAINER_CREATE_FAILED", `the container could not start: ${message}`, {
    cause: error,
  });
}

/** Any other engine failure during a run. */
export function engineFailure(error: unknown, doing: string): RunFailure {
  if (error instanceof RunFailure) return error;
  if (isEngineUnreachable(error)) return unreachable(error, doing);
  return new RunFailure(
    "EXECUTOR_UNAVAILABLE",
    `the Docker engine failed while ${doing}: ${engineMessage(error)}`,
    {
      cause: error,
    },
  );
}
