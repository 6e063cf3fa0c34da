// A worker that dies mid-run, for the isolation tests: started as a child process with a
// node name and run requests (JSON in argv), it starts every run on the Docker executor,
// prints "running <jobId>" once each reached RUNNING, and then waits to be SIGKILLed.

import { createDockerExecutor } from "../../src/executors/docker/docker-executor.ts";
import type { RunRequest } from "../../src/executors/types.ts";

interface ChildInput {
  node: string;
  requests: RunRequest[];
}

const input = JSON.parse(process.argv[2] ?? "{}") as ChildInput;
const executor = createDockerExecutor({ nodeName: input.node, pullPolicy: "never" });
for (const request of input.requests) {
  const handle = executor.start(request);
  void (async () => {
    for await (const event of handle.events) {
      if (event.type === "phase" && event.phase === "RUNNING")
        process.stdout.write(`running ${request.jobId}\n`);
      if (event.type === "phase" && event.phase === "EXITED")
        process.stdout.write(`exited ${request.jobId} ${JSON.stringify(await handle.outcome)}\n`);
    }
  })();
}
// Kept alive until the test kills it.
setInterval(() => {}, 60_000);
