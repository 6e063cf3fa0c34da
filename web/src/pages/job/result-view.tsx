// The scorer's Result: the summary score and every metric, with how long scoring took.
import type { JobDetail } from "../../api/types.ts";
import { formatScore } from "../../lib/format.ts";

const show = (value: unknown): string =>
  typeof value === "number"
    ? formatScore(value)
    : typeof value === "string"
      ? value
      : JSON.stringify(value);

export function ResultView({ result }: { result: NonNullable<JobDetail["result"]> }) {
  const metrics = Object.entries(result.metrics ?? {});
  const version = result.versioning as { scorer?: string; version?: string };
  const total = (result.timing as { total_time?: number }).total_time;
  return (
    <section class="panel result" aria-labelledby="result-heading">
      <h2 id="result-heading">Result</h2>
      <p class="score">
        Score <strong data-testid="job-score">{formatScore(result.score)}</strong>
        {typeof result.summary.rank === "string" && (
          <span class="muted"> · rank {result.summary.rank}</span>
        )}
        {typeof result.summary.pass === "boolean" && (
          <span class="muted"> · {result.summary.pass ? "passes" : "does not pass"}</span>
        )}
      </p>
      {metrics.length > 0 && (
        <table class="metrics">
          <caption class="visually-hidden">Metrics</caption>
          <tbody>
            {metrics.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td class="num">{show(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="muted small">
        {version.scorer} {version.version}
        {typeof total === "number" ? ` · scored in ${total.toFixed(3)} s` : ""} · attempt{" "}
        {result.attempt}
      </p>
    </section>
  );
}
