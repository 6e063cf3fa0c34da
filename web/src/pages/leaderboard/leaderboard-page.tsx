// Leaderboards per competition and phase, updating live as entries are scored. A private
// phase shows who entered but not how they did until an admin reveals it.
import type { TargetedEvent } from "preact";
import { unwrap } from "../../api/errors.ts";
import {
  COMPETITIONS_QUERY,
  LEADERBOARD_QUERY,
  LEADERBOARD_SUBSCRIPTION,
} from "../../api/operations/leaderboard.ts";
import type { Competition, Connection, Leaderboard } from "../../api/types.ts";
import { LiveBadge } from "../../components/live-badge.tsx";
import { Empty, ErrorNotice, Loading } from "../../components/status.tsx";
import { useQuery } from "../../hooks/use-query.ts";
import { useSubscription } from "../../hooks/use-subscription.ts";
import { formatDateTime, formatScore } from "../../lib/format.ts";
import { navigate } from "../../router.tsx";
import { BoardTable } from "./board-table.tsx";

export function LeaderboardPage({ competition, phase }: { competition?: string; phase?: string }) {
  const list = useQuery<{ competitions: Connection<Competition> }>(COMPETITIONS_QUERY);
  const competitions = list.data?.competitions.edges.map((e) => e.node) ?? [];
  const chosen = competition ?? competitions[0]?.slug;
  const current = competitions.find((c) => c.slug === chosen);

  const pick = (event: TargetedEvent<HTMLSelectElement>) =>
    navigate(`/leaderboard/${encodeURIComponent(event.currentTarget.value)}`);
  const pickPhase = (event: TargetedEvent<HTMLSelectElement>) =>
    navigate(
      `/leaderboard/${encodeURIComponent(chosen ?? "")}/${encodeURIComponent(event.currentTarget.value)}`,
    );

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Leaderboards</h1>
        {chosen && <LiveBadge />}
      </div>
      {list.error ? <ErrorNotice error={list.error} retry={list.reload} /> : null}
      {list.loading && !list.data && <Loading what="competitions" />}
      {list.data && competitions.length === 0 && <Empty>No competitions yet.</Empty>}
      {competitions.length > 0 && (
        <div class="filters">
          <label>
            Competition
            <select value={chosen} onChange={pick}>
              {competitions.map((c) => (
                <option key={c.slug} value={c.slug}>
                  {c.title}
                </option>
              ))}
            </select>
          </label>
          {current && (
            <label>
              Phase
              <select value={phase ?? ""} onChange={pickPhase}>
                <option value="">The current phase</option>
                {current.phases.map((p) => (
                  <option key={p.slug} value={p.slug}>
                    {p.name}
                    {p.private ? " (private)" : ""}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
      )}
      {chosen && <Board competition={chosen} phase={phase ?? null} />}
    </>
  );
}

function Board({ competition, phase }: { competition: string; phase: string | null }) {
  const variables = { competition, phase };
  const query = useQuery<{ leaderboard: Leaderboard }>(LEADERBOARD_QUERY, variables);
  const live = useSubscription<{ leaderboardUpdated: Leaderboard }>(
    LEADERBOARD_SUBSCRIPTION,
    query.data ? variables : null,
    (update) => query.setData(() => ({ leaderboard: update.leaderboardUpdated })),
  );
  if (query.error) return <ErrorNotice error={query.error} retry={query.reload} />;
  if (!query.data) return <Loading what="the leaderboard" />;
  let board: Leaderboard;
  try {
    board = unwrap(query.data.leaderboard);
  } catch (error) {
    return <ErrorNotice error={error} retry={query.reload} />;
  }
  return (
    <section class="panel" aria-labelledby="board-heading">
      <h2 id="board-heading">
        {board.title} · {board.phaseName}
      </h2>
      <p class="muted">
        Ranked by <strong>{board.metric}</strong> (
        {board.sortOrder === "DESC" ? "higher is better" : "lower is better"})
        {board.tiebreakMetrics.length > 0 && `, ties broken by ${board.tiebreakMetrics.join(", ")}`}{" "}
        · {board.teams} {board.teams === 1 ? "team" : "teams"}
      </p>
      {board.scoresHidden && (
        <p class="status notice" data-testid="scores-hidden">
          This is a private phase: scores hidden until revealed. Teams are listed by name.
        </p>
      )}
      {board.private && board.revealedAt && (
        <p class="muted small">Revealed {formatDateTime(board.revealedAt)}.</p>
      )}
      {board.own && (
        <p class="own" data-testid="own-entry">
          Your team:{" "}
          {board.scoresHidden
            ? "entered"
            : `rank ${board.own.rank ?? "—"}, ${board.metric} ${formatScore(board.own.score)}`}
        </p>
      )}
      {live.error && (
        <p class="status warning" role="status">
          Live updates stopped: {live.error.message}
        </p>
      )}
      <BoardTable board={board} />
    </section>
  );
}
