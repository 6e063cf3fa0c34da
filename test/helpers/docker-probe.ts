// Run once by the global setup: does a Docker engine answer, and are the test images there
// (built when missing)? The answer reaches every test file through `inject("docker")`.
import { execFileSync } from "node:child_process";
import { ensureTestImages } from "../images/build.ts";

export interface DockerStatus {
  available: boolean;
  /** Why not, when it is not. */
  reason: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    docker: DockerStatus;
  }
}

export function probeDocker(): DockerStatus {
  try {
    execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], {
      stdio: "ignore",
      timeout: 10_000,
    });
  } catch (error) {
    return { available: false, reason: `no Docker engine answers (${String(error)})` };
  }
  try {
    ensureTestImages();
  } catch (error) {
    return { available: false, reason: `the test images could not be built (${String(error)})` };
  }
  return { available: true, reason: "" };
}
