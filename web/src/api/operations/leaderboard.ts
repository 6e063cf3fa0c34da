// Leaderboards: each competition phase's ranking, read once and then followed live.
import { ERROR_FIELDS } from "../errors.ts";

const BOARD_FIELDS = `competition phase phaseName title metric sortOrder tiebreakMetrics
  private revealedAt scoresHidden teams
  own { rank score mine jobId submittedAt metrics team { slug name } }
  entries(first: 100) {
    edges { cursor node { rank score metrics mine jobId submittedAt team { slug name } } }
    pageInfo { hasNextPage endCursor }
  }`;

export const COMPETITIONS_QUERY = `query Competitions {
  competitions(first: 100) {
    edges { node { slug title metric sortOrder scorer phases { slug name private revealedAt startsAt endsAt dailyLimit totalLimit } } }
  }
}`;

export const LEADERBOARD_QUERY = `query Leaderboard($competition: String!, $phase: String) {
  leaderboard(competition: $competition, phase: $phase) {
    __typename
    ... on Leaderboard { ${BOARD_FIELDS} }
    ${ERROR_FIELDS}
  }
}`;

export const LEADERBOARD_SUBSCRIPTION = `subscription LeaderboardLive($competition: String!, $phase: String) {
  leaderboardUpdated(competition: $competition, phase: $phase) { __typename ${BOARD_FIELDS} }
}`;
