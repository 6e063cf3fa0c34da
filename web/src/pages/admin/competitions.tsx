// Competitions and their phases for admins; a private phase's scores can be revealed to
// the teams here (revealPhase; audited, and the leaderboards update live).
import { REVEAL_PHASE } from "../../api/operations/admin.ts";
import { COMPETITIONS_QUERY } from "../../api/operations/leaderboard.ts";
import type { Competition, Connection, Phase } from "../../api/types.ts";
import { Empty, ErrorNotice, Loading } from "../../components/status.tsx";
import { useAction } from "../../hooks/use-action.ts";
import { useQuery } from "../../hooks/use-query.ts";
import { formatDateTime } from "../../lib/format.ts";
import { Link } from "../../router.tsx";

type Data = { competitions: Connection<Competition> };

export function CompetitionsAdmin() {
  const query = useQuery<Data>(COMPETITIONS_QUERY);
  const revealed = (competition: string, phase: string, at: string) =>
    query.setData((data) => ({
      competitions: {
        ...data.competitions,
        edges: data.competitions.edges.map((e) =>
          e.node.slug !== competition
            ? e
            : {
                ...e,
                node: {
                  ...e.node,
                  phases: e.node.phases.map((p) =>
                    p.slug === phase ? { ...p, revealedAt: at } : p,
                  ),
                },
              },
        ),
      },
    }));
  return (
    <section class="panel" aria-labelledby="competitions-heading">
      <h2 id="competitions-heading">Competitions</h2>
      {query.error ? <ErrorNotice error={query.error} retry={query.reload} /> : null}
      {!query.data && !query.error && <Loading what="competitions" />}
      {query.data?.competitions.edges.length === 0 && (
        <Empty>No competitions yet (create them through the API).</Empty>
      )}
      {query.data?.competitions.edges.map(({ node }) => (
        <article key={node.slug} class="subpanel">
          <h3>
            <Link href={`/leaderboard/${node.slug}`}>{node.title}</Link>{" "}
            <span class="muted mono small">{node.slug}</span>
          </h3>
          <p class="muted small">
            {node.scorer} · ranked by {node.metric} (
            {node.sortOrder === "DESC" ? "higher" : "lower"} is better)
          </p>
          <ul class="phases">
            {node.phases.map((phase) => (
              <PhaseRow
                key={phase.slug}
                competition={node.slug}
                phase={phase}
                onRevealed={revealed}
              />
            ))}
          </ul>
        </article>
      ))}
    </section>
  );
}

function PhaseRow(props: {
  competition: string;
  phase: Phase;
  onRevealed: (competition: string, phase: string, at: string) => void;
}) {
  const { competition, phase, onRevealed } = props;
  const action = useAction();
  const reveal = () => {
    if (!window.confirm(`Reveal the scores of ${phase.name} to every team? This cannot be undone.`))
      return;
    void action.run<{ __typename: string; revealedAt: string }>(
      REVEAL_PHASE,
      "revealPhase",
      { competition, phase: phase.slug },
      (r) => onRevealed(competition, phase.slug, r.revealedAt),
    );
  };
  return (
    <li>
      <strong>{phase.name}</strong> <span class="muted small">{phase.slug}</span>
      {phase.startsAt && <span class="small"> · from {formatDateTime(phase.startsAt)}</span>}
      {phase.endsAt && <span class="small"> · until {formatDateTime(phase.endsAt)}</span>}
      {phase.private ? (
        phase.revealedAt ? (
          <span class="small"> · private, revealed {formatDateTime(phase.revealedAt)}</span>
        ) : (
          <>
            <span class="small"> · private, scores hidden from teams </span>
            <button type="button" class="secondary" disabled={action.busy} onClick={reveal}>
              Reveal scores of {phase.name}
            </button>
          </>
        )
      ) : (
        <span class="small"> · public</span>
      )}
      {action.error && (
        <span class="inline-error" role="alert">
          {action.error.message}
        </span>
      )}
    </li>
  );
}
