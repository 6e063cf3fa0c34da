// Executor nodes: load, health and circuit state, live (executorLoad); drain a node
// (it finishes its jobs, takes no new ones) or put it back to work.
import {
  DRAIN_EXECUTOR,
  EXECUTOR_LOAD_SUBSCRIPTION,
  EXECUTORS_QUERY,
  RESUME_EXECUTOR,
} from "../../api/operations/admin.ts";
import type { ExecutorNode } from "../../api/types.ts";
import { LiveBadge } from "../../components/live-badge.tsx";
import { Empty, ErrorNotice, Loading } from "../../components/status.tsx";
import { useAction } from "../../hooks/use-action.ts";
import { useQuery } from "../../hooks/use-query.ts";
import { useSubscription } from "../../hooks/use-subscription.ts";
import { formatCores, formatFromNow, formatMiB } from "../../lib/format.ts";

const CIRCUIT: Record<ExecutorNode["circuit"], string> = {
  CLOSED: "Closed (normal)",
  HALF_OPEN: "Half-open (probing)",
  OPEN: "Open (paused after failures)",
};

export function ExecutorsView() {
  const query = useQuery<{ executors: ExecutorNode[] }>(EXECUTORS_QUERY);
  const live = useSubscription<{ executorLoad: ExecutorNode[] }>(
    EXECUTOR_LOAD_SUBSCRIPTION,
    query.data ? {} : null,
    (update) => query.setData(() => ({ executors: update.executorLoad })),
  );
  const replace = (node: ExecutorNode) =>
    query.setData((data) => ({
      executors: data.executors.map((n) => (n.name === node.name ? node : n)),
    }));
  return (
    <section class="panel" aria-labelledby="executors-heading">
      <div class="page-head">
        <h2 id="executors-heading">Executors</h2>
        <LiveBadge />
      </div>
      {query.error ? <ErrorNotice error={query.error} retry={query.reload} /> : null}
      {live.error && <p class="status warning">Live updates stopped: {live.error.message}</p>}
      {!query.data && !query.error && <Loading what="executors" />}
      {query.data?.executors.length === 0 && (
        <Empty>No executor node has registered yet: start a worker.</Empty>
      )}
      {query.data && query.data.executors.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Health</th>
                <th scope="col">Circuit</th>
                <th scope="col">Load</th>
                <th scope="col">Jobs</th>
                <th scope="col">CPU</th>
                <th scope="col">Memory</th>
                <th scope="col">GPUs</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {query.data.executors.map((node) => (
                <ExecutorRow key={node.id} node={node} onChanged={replace} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ExecutorRow({
  node,
  onChanged,
}: {
  node: ExecutorNode;
  onChanged: (node: ExecutorNode) => void;
}) {
  const action = useAction();
  const draining = node.status === "DRAINING";
  const toggle = () =>
    void action.run<ExecutorNode>(
      draining ? RESUME_EXECUTOR : DRAIN_EXECUTOR,
      draining ? "resumeExecutor" : "drainExecutor",
      { name: node.name },
      onChanged,
    );
  return (
    <tr data-executor={node.name}>
      <th scope="row">
        {node.name}
        <div class="muted small">
          {node.kind.toLowerCase()} · {draining ? "draining" : "active"}
        </div>
      </th>
      <td>
        <span class={`badge ${node.healthy ? "ok" : "bad"}`}>
          {node.healthy ? "Healthy" : "Unhealthy"}
        </span>
        <div class="muted small">heartbeat {formatFromNow(node.lastHeartbeatAt)}</div>
      </td>
      <td>
        {CIRCUIT[node.circuit]}
        {node.consecutiveFailures > 0 && (
          <div class="muted small">{node.consecutiveFailures} failures in a row</div>
        )}
      </td>
      <td>
        <meter
          min={0}
          max={1}
          value={node.load}
          high={0.85}
          low={0.6}
          optimum={0}
          aria-label={`Load of ${node.name}`}
        />{" "}
        {Math.round(node.load * 100)}%
      </td>
      <td class="num">
        {node.used.jobs} / {node.capacity.jobs}
      </td>
      <td class="num">
        {formatCores(node.used.cpuMillis)} / {formatCores(node.capacity.cpuMillis)}
      </td>
      <td class="num">
        {formatMiB(node.used.memoryMb)} / {formatMiB(node.capacity.memoryMb)}
      </td>
      <td class="num">
        {node.used.gpus} / {node.capacity.gpus}
      </td>
      <td>
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          onClick={toggle}
          aria-label={`${draining ? "Resume" : "Drain"} ${node.name}`}
        >
          {draining ? "Resume" : "Drain"}
        </button>
        {action.error && (
          <span class="inline-error" role="alert">
            {action.error.message}
          </span>
        )}
      </td>
    </tr>
  );
}
