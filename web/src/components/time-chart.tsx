// A live time series (CPU or memory of a job) drawn with uPlot: small, fast with streaming
// data, and with axes and a hover legend. The numbers are also written out in text.
import { useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";

export interface TimeChartProps {
  label: string;
  /** Seconds since the epoch. */
  times: number[];
  values: number[];
  format: (value: number) => string;
  color: string;
}

export function TimeChart({ label, times, values, format, color }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef({ times, values });
  latest.current = { times, values };

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | null = null;
    import("./uplot.ts").then(
      ({ default: UPlot }) => {
        const element = box.current;
        if (disposed || !element) return;
        const width = Math.max(element.clientWidth, 200);
        chart.current = new UPlot(
          {
            width,
            height: 180,
            legend: { show: true },
            scales: { x: { time: true } },
            series: [
              {},
              {
                label,
                stroke: color,
                fill: `${color}22`,
                value: (_u, v) => (v === null ? "—" : format(v)),
              },
            ],
            axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 70 }],
          },
          [latest.current.times, latest.current.values],
          element,
        );
        observer = new ResizeObserver(() => {
          const next = Math.max(element.clientWidth, 200);
          chart.current?.setSize({ width: next, height: 180 });
        });
        observer.observe(element);
      },
      (error: unknown) => console.error("the chart library did not load", error),
    );
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, [label, color, format]);

  useEffect(() => {
    chart.current?.setData([times, values]);
  }, [times, values]);

  const last = values.at(-1);
  const peak = values.length ? Math.max(...values) : undefined;
  return (
    <figure class="chart">
      <figcaption>
        {label}:{" "}
        {last === undefined ? "no samples yet" : `now ${format(last)}, peak ${format(peak ?? 0)}`}
      </figcaption>
      <div ref={box} class="chart-canvas" aria-hidden="true" />
    </figure>
  );
}
