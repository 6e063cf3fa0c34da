// One phase's ranking; the viewer's own team's row stands out (and says so in words).
import type { Leaderboard } from "../../api/types.ts";
import { Empty } from "../../components/status.tsx";
import { formatDateTime, formatScore } from "../../lib/format.ts";
import { Link } from "../../router.tsx";

export function BoardTable({ board }: { board: Leaderboard }) {
  const rows = board.entries.edges.map((edge) => edge.node);
  if (rows.length === 0)
    return <Empty>No entries yet: the first scored submission will appear here.</Empty>;
  return (
    <div class="table-wrap">
      <table class="board">
        <caption class="visually-hidden">
          {board.title}, {board.phaseName}: {board.scoresHidden ? "teams in name order" : "ranking"}
        </caption>
        <thead>
          <tr>
            <th scope="col">Rank</th>
            <th scope="col">Team</th>
            <th scope="col">{board.metric}</th>
            {board.tiebreakMetrics.map((metric) => (
              <th scope="col" key={metric}>
                {metric}
              </th>
            ))}
            <th scope="col">Entry submitted</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((entry) => (
            <tr
              key={entry.team.slug}
              class={entry.mine ? "mine" : undefined}
              data-team={entry.team.slug}
            >
              <td class="num">{entry.rank ?? "—"}</td>
              <th scope="row">
                {entry.team.name}
                {entry.mine && <span class="you"> (your team)</span>}
              </th>
              <td class="num">
                {board.scoresHidden ? <span class="muted">hidden</span> : formatScore(entry.score)}
              </td>
              {board.tiebreakMetrics.map((metric) => (
                <td class="num" key={metric}>
                  {board.scoresHidden ? "—" : formatScore(entry.metrics?.[metric])}
                </td>
              ))}
              <td>
                {entry.jobId ? (
                  <Link href={`/jobs/${entry.jobId}`}>{formatDateTime(entry.submittedAt)}</Link>
                ) : (
                  formatDateTime(entry.submittedAt)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
