// Leaderboards through the API and live: each team's best entry by the competition's metric,
// ties broken by the tie-break metrics and then the earlier submission; a worse later entry
// changes nothing; a change of ranking rules rebuilds the board; a private phase hides scores
// from teams (never from admins) until revealed; subscribers see the board change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { connectLive, type LiveClient } from "../helpers/live.ts";
import { submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";

const GT = "id,label\n1,a\n2,a\n3,a\n4,a\n5,b\n6,b\n7,b\n8,b\n";
/** Accuracy 1. */
const P100 = GT;
/** Accuracy 0.75, f1_macro 0.733 (two b's called a). */
const P75A = "id,label\n1,a\n2,a\n3,a\n4,a\n5,b\n6,b\n7,a\n8,a\n";
/** Accuracy 0.75, f1_macro 0.75 (one error each way). */
const P75B = "id,label\n1,a\n2,a\n3,a\n4,b\n5,b\n6,b\n7,b\n8,a\n";
/** Accuracy 0.5. */
const P50 = "id,label\n1,b\n2,b\n3,a\n4,a\n5,a\n6,a\n7,b\n8,b\n";

let p: TestPipeline;
const keys: Record<string, string> = {};
const clients: LiveClient[] = [];

const BOARD = `competition phase scoresHidden teams
  entries(first: 10) { edges { node { rank team { slug } score metrics jobId mine submittedAt } } }
  own { rank score team { slug } }`;

interface Board {
  scoresHidden: boolean;
  teams: number;
  entries: {
    edges: Array<{
      node: {
        rank: number | null;
        team: { slug: string };
        score: number | null;
        metrics: Record<string, number> | null;
        jobId: string | null;
        mine: boolean;
      };
    }>;
  };
  own: { rank: number | null; score: number | null; team: { slug: string } } | null;
}

beforeAll(async () => {
  p = await startTestPipeline();
  for (const slug of ["t1", "t2", "t3"]) {
    await createTenant(p.api, slug, { maxConcurrentJobs: 4 });
    keys[slug] = (await createKey(p.api, slug, "MEMBER")).token;
    for (const [name, pred] of Object.entries({ p100: P100, p75a: P75A, p75b: P75B, p50: P50 }))
      p.input(slug, name, { "gt.csv": GT, "pred.csv": pred });
  }
  for (const [slug, phases] of [
    ["cup", [{ slug: "dev", name: "Development" }]],
    ["secret", [{ slug: "final", name: "Final", private: true }]],
  ] as const) {
    const created = await p.api.gql(
      `mutation($input: CreateCompetitionInput!) { createCompetition(input: $input) { __typename ... on Error { message } } }`,
      {
        input: {
          slug,
          title: slug,
          scorer: "classification_f1",
          metric: "accuracy",
          tiebreakMetrics: ["f1_macro"],
          phases,
        },
      },
    );
    expect(created.data).toEqual({ createCompetition: { __typename: "Competition" } });
  }
  await p.addWorker("board-node", { maxJobs: 6 });
}, 60_000);
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await p?.close();
});

async function enter(tenant: string, competition: string, input: string): Promise<string> {
  const job = await submit(
    p.api,
    { taskType: "classification", inputUri: input, competition },
    keys[tenant],
  );
  if (job.__typename !== "Job") throw new Error(JSON.stringify(job));
  const id = (job as { id: string }).id;
  await p.waitFor(id, ["SUCCEEDED"]);
  return id;
}

async function board(competition: string, key?: string): Promise<Board> {
  const result = await p.api.gql<{ leaderboard: Board & { __typename: string } }>(
    `query($c: String!) { leaderboard(competition: $c) { __typename ... on Leaderboard { ${BOARD} } ... on Error { code message } } }`,
    { c: competition },
    key,
  );
  if (result.data?.leaderboard.__typename !== "Leaderboard")
    throw new Error(JSON.stringify(result));
  return result.data.leaderboard;
}

const order = (b: Board) => b.entries.edges.map((e) => [e.node.rank, e.node.team.slug]);

describe("leaderboard", () => {
  it("ranks by the metric, then the tie-break, then the earlier submission", async () => {
    const first = await enter("t1", "cup", "p75a");
    await enter("t2", "cup", "p75b");
    await enter("t3", "cup", "p75a");
    const seen = await board("cup", keys.t1);
    expect(order(seen)).toEqual([
      [1, "t2"],
      [2, "t1"],
      [3, "t3"],
    ]);
    const mine = seen.entries.edges.find((e) => e.node.mine)?.node;
    expect(mine).toMatchObject({ team: { slug: "t1" }, score: 0.75, jobId: first });
    expect(mine?.metrics).toEqual({ accuracy: 0.75, f1_macro: expect.closeTo(0.7333, 3) });
    // Another team's job stays its own.
    expect(seen.entries.edges.filter((e) => !e.node.mine).every((e) => e.node.jobId === null)).toBe(
      true,
    );
    expect(seen.own).toMatchObject({ rank: 2, team: { slug: "t1" } });
  });

  it("moves a team up on a better entry, live, and ignores a worse one", async () => {
    const client = connectLive(p.api.url, keys.t3 as string);
    clients.push(client);
    const live = client.subscribe<{ leaderboardUpdated: Board }>(
      `subscription { leaderboardUpdated(competition: "cup") { ${BOARD} } }`,
    );
    await live.until((v) => v.length > 0);
    await enter("t1", "cup", "p100");
    await live.until((v) => order(v.at(-1)?.leaderboardUpdated as Board)[0]?.[1] === "t1");
    expect(order(live.values.at(-1)?.leaderboardUpdated as Board)).toEqual([
      [1, "t1"],
      [2, "t2"],
      [3, "t3"],
    ]);
    expect(live.values.at(-1)?.leaderboardUpdated.own).toMatchObject({
      rank: 3,
      team: { slug: "t3" },
    });
    await enter("t2", "cup", "p50");
    expect(order(await board("cup"))).toEqual([
      [1, "t1"],
      [2, "t2"],
      [3, "t3"],
    ]);
  });

  it("rebuilds the board when the ranking rules change", async () => {
    const changed = await p.api.gql(
      `mutation { updateCompetition(slug: "cup", input: { sortOrder: ASC }) { __typename } }`,
    );
    expect(changed.errors).toBeUndefined();
    // Lowest accuracy first now, so each team's best entry is its lowest: t2's 0.5, then
    // t1's and t3's identical 0.75 entries, t1's submitted first.
    expect(order(await board("cup"))).toEqual([
      [1, "t2"],
      [2, "t1"],
      [3, "t3"],
    ]);
    await p.api.gql(
      `mutation { updateCompetition(slug: "cup", input: { sortOrder: DESC }) { __typename } }`,
    );
    expect(order(await board("cup"))[0]).toEqual([1, "t1"]);
  });

  it("hides a private phase's scores from teams until an admin reveals them", async () => {
    await enter("t1", "secret", "p75a");
    await enter("t2", "secret", "p100");
    const hidden = await board("secret", keys.t1);
    expect(hidden).toMatchObject({ scoresHidden: true, teams: 2 });
    expect(hidden.entries.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ rank: null, score: null, metrics: null, team: { slug: "t1" } }),
      expect.objectContaining({ rank: null, score: null, metrics: null, team: { slug: "t2" } }),
    ]);
    expect(hidden.own).toMatchObject({ rank: null, score: null });
    const admin = await board("secret");
    expect(admin.scoresHidden).toBe(false);
    expect(order(admin)).toEqual([
      [1, "t2"],
      [2, "t1"],
    ]);

    const client = connectLive(p.api.url, keys.t1 as string);
    clients.push(client);
    const live = client.subscribe<{ leaderboardUpdated: Board }>(
      `subscription { leaderboardUpdated(competition: "secret") { ${BOARD} } }`,
    );
    await live.until((v) => v.length > 0);
    expect(live.values[0]?.leaderboardUpdated.scoresHidden).toBe(true);

    const refused = await p.api.gql(
      `mutation { revealPhase(competition: "secret", phase: "final") { __typename ... on Error { code } } }`,
      {},
      keys.t1,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const revealed = await p.api.gql(
      `mutation { revealPhase(competition: "secret", phase: "final") { __typename ... on RevealedPhase { revealedAt } } }`,
    );
    expect(revealed.data).toMatchObject({ revealPhase: { __typename: "RevealedPhase" } });
    await live.until((v) => v.at(-1)?.leaderboardUpdated.scoresHidden === false);
    expect(order(live.values.at(-1)?.leaderboardUpdated as Board)).toEqual([
      [1, "t2"],
      [2, "t1"],
    ]);
    const again = await p.api.gql(
      `mutation { revealPhase(competition: "secret", phase: "final") { __typename ... on Error { code } } }`,
    );
    expect(again.data).toEqual({ revealPhase: { __typename: "BaseError", code: "INVALID_STATE" } });
    const { rows } = await p.api.db.pool.query(
      `SELECT count(*)::int AS n FROM "AuditLog" WHERE action = 'phase.reveal'`,
    );
    expect(rows[0]?.n).toBe(1);
  });

  it("shows a HIDDEN board to admins only", async () => {
    await p.api.gql(
      `mutation { updateCompetition(slug: "cup", input: { leaderboardVisibility: HIDDEN }) { __typename } }`,
    );
    const refused = await p.api.gql<{ leaderboard: { __typename: string; code?: string } }>(
      `{ leaderboard(competition: "cup") { __typename ... on Error { code } } }`,
      {},
      keys.t1,
    );
    expect(refused.data?.leaderboard).toEqual({ __typename: "BaseError", code: "FORBIDDEN" });
    expect((await board("cup")).teams).toBe(3);
    await p.api.gql(
      `mutation { updateCompetition(slug: "cup", input: { leaderboardVisibility: PUBLIC }) { __typename } }`,
    );
  });
});
