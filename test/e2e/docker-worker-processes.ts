// Docker workers as real `autoscorer worker` processes, configured by environment as an
// operator would, so a test can SIGKILL one mid-run. Each start gets its own data folder;
// `stopAll` stops every process started and removes the folders and whatever containers
// the nodes left on the engine.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LABELS } from "../../src/executors/docker/labels.ts";
import { docker } from "../executors/docker-helpers.ts";
import type { TestPipeline } from "../pipeline/helpers.ts";
import { nodeReady, type RoleProcess, spawnRole } from "../pipeline/processes.ts";

export interface DockerWorkers {
  /** Starts a worker running one Docker node named `name`; resolves once it heartbeats. */
  start(name: string, env?: Record<string, string>): Promise<RoleProcess>;
  stopAll(): Promise<void>;
}

export function dockerWorkers(p: TestPipeline): DockerWorkers {
  const roles: RoleProcess[] = [];
  const dataDirs: string[] = [];
  const nodes = new Set<string>();
  return {
    async start(name, env = {}) {
      const since = new Date();
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-e2e-data-"));
      dataDirs.push(dataDir);
      nodes.add(name);
      const role = spawnRole("worker", {
        databaseUrl: p.api.testDb.url,
        inputDir: p.api.inputRoot,
        workspaceDir: p.workspaceRoot,
        dataDir,
        workerName: name,
        extra: {
          AUTOSCORER_WORKER__EXECUTORS: "[DOCKER]",
          // The test images are built on this machine; nothing is ever pulled.
          AUTOSCORER_DOCKER__PULL_POLICY: "never",
          ...env,
        },
      });
      roles.push(role);
      await nodeReady(p.api.db.pool, name, since).catch((error: Error) => {
        throw new Error(`${error.message}\n${role.output()}`);
      });
      return role;
    },
    async stopAll() {
      await Promise.all(roles.splice(0).map((role) => role.stop()));
      for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
      // Only after a failed test is there anything here: a passing one proves there is not.
      for (const node of nodes) {
        const left = await docker.listContainers({
          all: true,
          filters: { label: [`${LABELS.node}=${node}`] },
        });
        await Promise.all(
          left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })),
        );
      }
      nodes.clear();
    },
  };
}
