// `autoscorer score --workspace DIR --scorer NAME [--params JSON] [--plugin-dir DIR]`:
// scores a workspace offline. The Result goes to stdout and output/result.json; bad input
// prints {"error":{code,message,details}} on stdout and exits 1. Imports only the scorers
// and the config loader, never the server or the database, so it starts fast.
import { parseArgs } from "node:util";
import { loadConfig } from "../../config/load.ts";
import { createScorerRegistry, ScoringError, scoreWorkspace } from "../../scorers/index.ts";

const USAGE = `usage: autoscorer score --workspace DIR --scorer NAME [--params JSON] [--plugin-dir DIR]

Scores DIR (input/gt.csv|gt.json, output/pred.csv|pred.json) and writes output/result.json.
Exit codes: 0 scored, 1 bad input or failed scorer (error JSON on stdout), 2 usage.
`;

function printError(error: ScoringError): void {
  process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
}

export async function run(argv: string[]): Promise<number> {
  let values: {
    workspace?: string;
    scorer?: string;
    params?: string;
    "plugin-dir"?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        workspace: { type: "string" },
        scorer: { type: "string" },
        params: { type: "string" },
        "plugin-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.workspace || !values.scorer) {
    process.stderr.write(`--workspace and --scorer are required\n\n${USAGE}`);
    return 2;
  }
  let params: unknown = {};
  if (values.params !== undefined) {
    try {
      params = JSON.parse(values.params) as unknown;
    } catch (error) {
      printError(
        new ScoringError(
          "INVALID_VALUE",
          "--params is not valid JSON",
          { param: "params" },
          { cause: error },
        ),
      );
      return 1;
    }
  }
  const config = loadConfig().scorers;
  const registry = await createScorerRegistry({
    pluginDir: values["plugin-dir"] ?? config.pluginDir,
    timeLimitMs: config.timeLimitMs,
    memoryMb: config.memoryLimitMb,
    caps: { maxCsvBytes: config.maxCsvMb * 1024 ** 2, maxJsonBytes: config.maxJsonMb * 1024 ** 2 },
    watch: false,
  });
  try {
    const result = await scoreWorkspace(registry, {
      workspace: values.workspace,
      scorer: values.scorer,
      params,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ScoringError)) throw error;
    printError(error);
    return 1;
  } finally {
    registry.close();
  }
}
