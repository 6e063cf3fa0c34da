// Whether what the page shows is being kept up to date right now.
import { useEffect, useState } from "preact/hooks";
import type { LiveStatus } from "../api/live.ts";
import { useSession } from "../api/session.ts";

const LABELS: Record<LiveStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  idle: "Live",
  offline: "Offline: reconnecting",
};

export function LiveBadge() {
  const { live } = useSession();
  const [status, setStatus] = useState<LiveStatus>(live.status());
  useEffect(() => {
    setStatus(live.status());
    return live.onStatus(setStatus);
  }, [live]);
  return (
    <span
      class={`live-badge live-${status}`}
      role="status"
      title="Updates arrive without reloading"
    >
      {LABELS[status]}
    </span>
  );
}
