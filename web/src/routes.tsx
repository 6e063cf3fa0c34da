// Which page answers which address.

import { useEffect } from "preact/hooks";
import { ApiError } from "./api/errors.ts";
import { lazyComponent } from "./components/lazy.tsx";
import { ErrorNotice } from "./components/status.tsx";
import { JobPage } from "./pages/job/job-page.tsx";
import { JobsPage } from "./pages/jobs/jobs-page.tsx";
import { LeaderboardPage } from "./pages/leaderboard/leaderboard-page.tsx";
import { type Location, match, navigate } from "./router.tsx";

// The admin console is for a few users: its code loads when first opened.
const AdminPage = lazyComponent(() =>
  import("./pages/admin/admin-page.tsx").then((m) => m.AdminPage),
);

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function Routes({ location, admin }: { location: Location; admin: boolean }) {
  const { path } = location;
  if (path === "/") return <Redirect to={admin ? "/admin" : "/jobs"} />;
  if (path === "/jobs") return <JobsPage location={location} />;
  const job = match("/jobs/:id", path);
  if (job) return <JobPage key={job.id} id={job.id as string} />;
  if (path === "/leaderboard") return <LeaderboardPage />;
  const board =
    match("/leaderboard/:competition", path) ?? match("/leaderboard/:competition/:phase", path);
  if (board) return <LeaderboardPage competition={board.competition} phase={board.phase} />;
  if (path === "/admin" || path.startsWith("/admin/")) return <AdminPage path={path} />;
  return (
    <>
      <h1 tabIndex={-1}>Not found</h1>
      <ErrorNotice error={new ApiError(`Nothing lives at ${path}.`, "NOT_FOUND")} />
    </>
  );
}
