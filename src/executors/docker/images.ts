// The pull policy. Creating the container is tried first wherever the policy allows it: the
// engine answers "no such image" itself, so a present image costs no extra inspect, and a
// missing one is pulled and the create tried once more. Pull time is PREPARING time: the
// run's time limit starts only when its command does.
import type Docker from "dockerode";
import { createLineSplitter } from "../run/line-splitter.ts";
import {
  createFailure,
  engineMessage,
  isEngineUnreachable,
  isNotFound,
  RunFailure,
  unreachable,
} from "./errors.ts";
import type { PullPolicy } from "./options.ts";

export interface CreatedContainer {
  container: Docker.Container;
  /** How long a pull took, when there was one. */
  pullMs: number | null;
}

export async function createWithPullPolicy(
  docker: Docker,
  config: Docker.ContainerCreateOptions & { Image: string },
  policy: PullPolicy,
  signal: AbortSignal,
): Promise<CreatedContainer> {
  // Not abortable: a create takes milliseconds; a stop during it is seen right after.
  const create = () => docker.createContainer(config);
  const pullThenCreate = async () => {
    const began = Date.now();
    await pullImage(docker, config.Image, signal);
    const pullMs = Date.now() - began;
    try {
      return { container: await create(), pullMs };
    } catch (error) {
      throw createFailure(error, config.Image);
    }
  };
  if (policy === "always") return pullThenCreate();
  try {
    return { container: await create(), pullMs: null };
  } catch (error) {
    if (!isNotFound(error)) throw createFailure(error, config.Image);
    if (policy === "never")
      throw new RunFailure(
        "IMAGE_NOT_FOUND",
        `image ${config.Image} is not on this node and the pull policy is "never"`,
        { cause: error },
      );
    return pullThenCreate();
  }
}

/** Pulls `image`; the engine reports a failed pull inside the stream as often as by status. */
export async function pullImage(docker: Docker, image: string, signal: AbortSignal): Promise<void> {
  const failed = (error: unknown) => {
    if (signal.aborted)
      return new RunFailure("CANCELLED", "the pull was abandoned", { cause: error });
    if (isEngineUnreachable(error)) return unreachable(error, `pulling ${image}`);
    return new RunFailure(
      "IMAGE_NOT_FOUND",
      `image ${image} could not be pulled: ${engineMessage(error)}`,
      { cause: error },
    );
  };
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image, { abortSignal: signal });
  } catch (error) {
    throw failed(error);
  }
  const reported = await new Promise<string | null>((resolve, reject) => {
    let error: string | null = null;
    const lines = createLineSplitter((line) => {
      if (line.trim() === "") return;
      try {
        const progress = JSON.parse(line) as { error?: unknown };
        if (typeof progress.error === "string") error = progress.error;
      } catch (cause) {
        reject(
          new Error(`the engine sent a pull progress line that is not JSON: ${line}`, { cause }),
        );
      }
    });
    stream.on("data", (chunk: Buffer) => lines.write(chunk));
    stream.once("error", reject);
    stream.once("end", () => {
      lines.end();
      resolve(error);
    });
  }).catch((error: unknown) => {
    throw failed(error);
  });
  if (reported !== null) throw failed(new Error(reported));
}
