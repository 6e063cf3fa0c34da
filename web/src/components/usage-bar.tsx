// One used-of-limit figure as a native <meter> (announced by screen readers) with the
// numbers in words beside it.
export function UsageBar(props: {
  label: string;
  used: number;
  limit: number;
  format?: (value: number) => string;
  note?: string;
}) {
  const { label, used, limit, note } = props;
  const format = props.format ?? String;
  const id = `usage-${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <div class="usage">
      <div class="usage-head">
        <label for={id}>{label}</label>
        <span class="usage-figures" data-testid={id}>
          {limit > 0 ? `${format(used)} of ${format(limit)}` : `${format(used)} (none allowed)`}
        </span>
      </div>
      <meter
        id={id}
        min={0}
        max={Math.max(limit, 1)}
        value={Math.min(used, Math.max(limit, 1))}
        low={Math.max(limit, 1) * 0.6}
        high={Math.max(limit, 1) * 0.85}
        optimum={0}
      >
        {format(used)} of {format(limit)}
      </meter>
      {note && <p class="usage-note">{note}</p>}
    </div>
  );
}
