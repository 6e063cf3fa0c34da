// GPUs are refused here, before any container exists, when the node cannot give them: the
// operator offers none (or fewer), or the engine lacks the GPU runtime. Without this check
// the engine fails deep inside container start with a message only an operator can read.
import type { Engine } from "./engine.ts";
import { RunFailure } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";

export async function checkGpus(
  requested: number,
  options: Pick<ResolvedOptions, "gpus" | "gpuRuntime" | "healthTimeoutMs">,
  engine: Engine,
): Promise<void> {
  if (requested === 0) return;
  if (requested > options.gpus)
    throw new RunFailure(
      "GPU_NOT_AVAILABLE",
      `the run asks for ${requested} GPU(s); this node offers ${options.gpus}`,
    );
  const { runtimes } = await engine.info(options.healthTimeoutMs);
  if (!runtimes.includes(options.gpuRuntime))
    throw new RunFailure(
      "GPU_NOT_AVAILABLE",
      `the Docker engine has no "${options.gpuRuntime}" runtime (it has ${runtimes.join(", ") || "none"})`,
    );
}
