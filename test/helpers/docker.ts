// Docker in the tests. Whether an engine answers is found once, in the global setup, which
// also builds the test images (test/images/build.ts). A suite that needs Docker uses
// `describeWithDocker`: without an engine it is skipped on a developer's machine, but under
// CI=true it runs as one failing test that names what is missing: never a silent skip.
import { describe, inject, it } from "vitest";
import type { DockerStatus } from "./docker-probe.ts";

export const dockerStatus = (): DockerStatus => inject("docker");

export function describeWithDocker(name: string, suite: () => void): void {
  const status = dockerStatus();
  if (status.available) {
    describe(name, suite);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("has a Docker engine and the test images (required under CI=true)", () => {
        throw new Error(status.reason);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${status.reason})`, suite);
  }
}
