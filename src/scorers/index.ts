// The scorers library: what the CLI, the job worker and the API use.
export {
  type Defect,
  DefectList,
  SCORING_ERROR_CODES,
  ScoringError,
  type ScoringErrorCode,
} from "./errors.ts";
export type { PluginModule, PluginScoreInput, PluginScoreOutput } from "./plugins/api.ts";
export {
  createScorerRegistry,
  DEFAULT_CAPS,
  type PluginLoadError,
  type RegistryOptions,
  type ReloadReport,
  type ScorerRegistry,
} from "./registry.ts";
export type { Result } from "./result.ts";
export { type ScorerLookup, type ScoreWorkspaceInput, scoreWorkspace } from "./score-workspace.ts";
export type { ReadCaps, Scorer, ScorerInfo, ScorerKind } from "./types.ts";
export {
  locateInputs,
  resultFiles,
  resultText,
  type WriteResult,
  writeResult,
} from "./workspace.ts";
