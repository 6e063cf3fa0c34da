// How a running container is stopped: SIGTERM to its init (which passes it to the command),
// then SIGKILL after the grace, repeated until the container has exited: a kill the engine
// failed to deliver (it was restarting) is tried again instead of leaving the run going.
import type Docker from "dockerode";
import { engineMessage, isAlreadyStopped, isNotFound } from "./errors.ts";

export interface StopSequence {
  /** Starts the sequence (once); resolves when SIGTERM has been sent. */
  begin(): Promise<void>;
  /** The container has exited: no more signals. */
  end(): void;
}

export function createStopSequence(
  container: () => Docker.Container | null,
  graceMs: number,
  onFailure: (message: string) => void,
): StopSequence {
  let begun = false;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;

  const signal = async (name: "SIGTERM" | "SIGKILL") => {
    const target = container();
    if (!target || ended) return;
    try {
      await target.kill({ signal: name });
    } catch (error) {
      // Ended or removed meanwhile: nothing is left to stop.
      if (isAlreadyStopped(error) || isNotFound(error)) return;
      onFailure(`${name} failed: ${engineMessage(error)}`);
    }
  };

  const escalate = () => {
    if (ended) return;
    void signal("SIGKILL");
    timer = setTimeout(escalate, Math.max(1000, graceMs));
  };

  return {
    async begin() {
      if (begun || ended) return;
      begun = true;
      if (graceMs === 0) return escalate();
      timer = setTimeout(escalate, graceMs);
      await signal("SIGTERM");
    },
    end() {
      ended = true;
      clearTimeout(timer);
    },
  };
}
