// A job state as a coloured label; the colour is never the only cue (the text says it).
import { type JobState, STATE_LABELS } from "../lib/job-states.ts";

export function StateBadge({ state }: { state: JobState }) {
  return (
    <span class={`badge state-${state.toLowerCase()}`} data-state={state}>
      {STATE_LABELS[state]}
    </span>
  );
}
