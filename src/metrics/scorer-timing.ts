// Times every scorer run of a worker: the worker scores through the lookup this returns,
// so each workspace it scores lands in autoscorer_scorer_duration_seconds, by scorer and
// outcome, without the worker knowing. The label set is bounded by the registry: a scorer
// is looked up by name before it runs, so only registered names are ever observed.
import type { Scorer, ScorerLookup } from "../scorers/index.ts";
import type { ProcessMetrics } from "./process-metrics.ts";

export function timedScorers(
  lookup: ScorerLookup,
  metrics: Pick<ProcessMetrics, "scorerDuration">,
): ScorerLookup {
  return {
    get caps() {
      return lookup.caps;
    },
    get(name) {
      const scorer = lookup.get(name);
      return scorer ? timed(scorer, metrics) : undefined;
    },
  };
}

function timed(scorer: Scorer, metrics: Pick<ProcessMetrics, "scorerDuration">): Scorer {
  return {
    ...scorer,
    run: async (ctx) => {
      const stop = metrics.scorerDuration.startTimer({ scorer: scorer.name });
      try {
        const output = await scorer.run(ctx);
        stop({ outcome: "ok" });
        return output;
      } catch (error) {
        stop({ outcome: "error" });
        throw error;
      }
    },
  };
}
