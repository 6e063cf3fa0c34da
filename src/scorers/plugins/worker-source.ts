// The code a plugin worker runs, as source text: it must not depend on how the host was
// started (tsx, vitest, plain node), so it is plain CommonJS evaluated by the Worker.
export const PLUGIN_WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { pathToFileURL } = require("node:url");
// Plugins share the process: take away the calls that would reach beyond their thread.
for (const name of ["kill", "abort", "chdir", "setuid", "setgid", "dlopen"]) {
  process[name] = () => { throw new Error("process." + name + " is not available to scorer plugins"); };
}
function fail(error) {
  const message = error && typeof error === "object" && "message" in error ? String(error.message) : String(error);
  const stack = error && typeof error === "object" && "stack" in error ? String(error.stack) : undefined;
  parentPort.postMessage({ ok: false, error: { message, stack } });
}
process.on("unhandledRejection", fail);
(async () => {
  try {
    const mod = await import(pathToFileURL(workerData.file).href);
    const plugin = typeof mod.score === "function" || mod.default === undefined ? mod : mod.default;
    if (typeof plugin.score !== "function") throw new Error("the module exports no score function");
    const info = {
      name: plugin.name,
      version: plugin.version,
      description: typeof plugin.description === "string" ? plugin.description : "",
      paramsSchema: plugin.paramsSchema && typeof plugin.paramsSchema === "object" ? plugin.paramsSchema : {},
      defaultMetric: typeof plugin.defaultMetric === "string" ? plugin.defaultMetric : null,
      format: plugin.format === "csv" || plugin.format === "json" ? plugin.format : "any",
    };
    if (workerData.task === "describe") {
      parentPort.postMessage({ ok: true, info });
      return;
    }
    const output = await plugin.score(workerData.input);
    parentPort.postMessage({ ok: true, info, output });
  } catch (error) {
    fail(error);
  }
})();
`;
