// The Docker executor on the real engine: the conformance suite every backend passes. The
// node name is this file's own, so its sweeps never touch another file's containers.
import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import { createDockerExecutor } from "../../src/executors/docker/docker-executor.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import { BUSYBOX_IMAGE } from "../images/build.ts";
import { describeExecutorConformance } from "./conformance.ts";

const node = `test-conformance-${randomBytes(4).toString("hex")}`;
// Usage is sampled from the start (by default it waits 500 ms): the suite's sampling test
// runs about a second, less on a fast machine.
const make = () =>
  createDockerExecutor({
    nodeName: node,
    pullPolicy: "never",
    killGraceMs: 300,
    pidsLimit: 128,
    usageDelayMs: 0,
  });

describeWithDocker("docker executor", () => {
  afterAll(async () => {
    // Whatever a failing test left behind on this node goes with it.
    await make().sweep(() => false);
  });

  describeExecutorConformance("docker", {
    create: make,
    shellImage: BUSYBOX_IMAGE,
    adopts: true,
    sandboxed: true,
    startupMs: 2000,
  });
});
