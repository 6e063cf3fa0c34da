// Numbers and instants as people read them, in the viewer's locale and time zone.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export const viewerTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? timeOnly.format(new Date(iso)) : "—";
}

/** "in 3 hours", "5 minutes ago": a rough distance from now. */
export function formatFromNow(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(Math.round(seconds), "second");
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86_400), "day");
}

/** 75 → "1 min 15 s". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${s % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function secondsBetween(from: string | null, to: string | null, now = Date.now()): number {
  if (!from) return 0;
  const end = to ? new Date(to).getTime() : now;
  return (end - new Date(from).getTime()) / 1000;
}

/** 1500 millicores → "1.5 cores". */
export const formatCores = (millis: number): string =>
  `${Number((millis / 1000).toFixed(2))} ${millis === 1000 ? "core" : "cores"}`;

/** MiB → "512 MiB" or "1.5 GiB". */
export const formatMiB = (mib: number): string =>
  mib >= 1024 ? `${Number((mib / 1024).toFixed(1))} GiB` : `${Math.round(mib)} MiB`;

export const formatScore = (score: number | null | undefined): string =>
  score === null || score === undefined ? "—" : Number(score.toPrecision(6)).toString();

/** The start of a UUID: enough to tell jobs apart on screen. */
export const shortId = (id: string): string => id.slice(0, 8);

/** A job's input as the team named it: the part after its tenant's folder, when present. */
export function inputName(inputUri: string, tenantSlug: string): string {
  const marker = `/${tenantSlug}/`;
  const at = inputUri.lastIndexOf(marker);
  return at < 0 ? inputUri : inputUri.slice(at + marker.length);
}
