// CPU and memory of the job's run, from its samples (at most one a second), live.
import { useMemo } from "preact/hooks";
import type { MetricSample } from "../../api/types.ts";
import { Empty } from "../../components/status.tsx";
import { TimeChart } from "../../components/time-chart.tsx";
import { formatCores, formatMiB } from "../../lib/format.ts";

const toSeconds = (iso: string) => new Date(iso).getTime() / 1000;
const cores = (millis: number) => formatCores(millis);
const mib = (value: number) => formatMiB(value);

export function UsageCharts({ samples }: { samples: MetricSample[] }) {
  const series = useMemo(
    () => ({
      times: samples.map((s) => toSeconds(s.at)),
      cpu: samples.map((s) => s.cpuMillis),
      memory: samples.map((s) => s.memoryBytes / 1024 ** 2),
    }),
    [samples],
  );
  return (
    <section class="panel" aria-labelledby="usage-heading">
      <h2 id="usage-heading">CPU and memory</h2>
      {samples.length === 0 ? (
        <Empty>No samples yet: they are taken while the job's command runs.</Empty>
      ) : (
        <div class="charts">
          <TimeChart
            label="CPU"
            times={series.times}
            values={series.cpu}
            format={cores}
            color="#2563eb"
          />
          <TimeChart
            label="Memory"
            times={series.times}
            values={series.memory}
            format={mib}
            color="#9333ea"
          />
        </div>
      )}
    </section>
  );
}
