// The job's output as it is written. Chunks of each stream are shown in order; a chunk the
// server could not send in time (this client was too slow) leaves a visible gap note, and
// platform notes (stream `system`) stand apart from the command's own output.
import { useEffect, useRef } from "preact/hooks";
import type { LogChunk } from "../../api/types.ts";
import { Empty } from "../../components/status.tsx";
import { formatTime } from "../../lib/format.ts";

export function JobLogs({ chunks }: { chunks: LogChunk[] }) {
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  // Follow the end while the reader is at the end; leave their place alone otherwise.
  useEffect(() => {
    const element = box.current;
    if (element && pinned.current) element.scrollTop = element.scrollHeight;
  }, [chunks.length]);
  const onScroll = () => {
    const element = box.current;
    if (element)
      pinned.current = element.scrollTop + element.clientHeight >= element.scrollHeight - 24;
  };
  return (
    <section class="panel" aria-labelledby="logs-heading">
      <h2 id="logs-heading">Logs</h2>
      {chunks.length === 0 ? (
        <Empty>No output yet. Lines appear here as the job writes them.</Empty>
      ) : (
        <div
          ref={box}
          class="logs"
          role="log"
          aria-label="Job output"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard.
          tabIndex={0}
          onScroll={onScroll}
        >
          {chunks.map((chunk) => (
            <div key={chunk.cursor} class={`chunk stream-${chunk.stream}`}>
              {chunk.skipped > 0 && (
                <p class="gap">
                  … {chunk.skipped} {chunk.skipped === 1 ? "chunk" : "chunks"} of output skipped
                  here (the connection fell behind); the full log is kept in the job's workspace.
                </p>
              )}
              <span class="chunk-meta" aria-hidden="true">
                {formatTime(chunk.at)} {chunk.stream}
              </span>
              <pre>{chunk.text}</pre>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
