// Reading Prometheus' text format in tests: each metric family's type, and each sample's
// value by name and labels.
export interface Scrape {
  types: Map<string, string>;
  /** The sample's value; 0 when it is absent (a counter that has not moved yet). */
  value(name: string, labels?: Record<string, string>): number;
  /** Every sample of `name`, with its labels. */
  samples(name: string): Array<{ labels: Record<string, string>; value: number }>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const all: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (name && type) types.set(name, type);
      continue;
    }
    if (!line || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match?.[1] || !match[3]) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(LABEL)) {
      if (key !== undefined && value !== undefined) labels[key] = value.replace(/\\(.)/g, "$1");
    }
    all.push({ name: match[1], labels, value: Number(match[3]) });
  }
  const samples = (name: string) => all.filter((s) => s.name === name);
  return {
    types,
    samples,
    value(name, labels = {}) {
      const found = samples(name).find(
        (s) =>
          Object.keys(s.labels).length === Object.keys(labels).length &&
          Object.entries(labels).every(([key, value]) => s.labels[key] === value),
      );
      return found?.value ?? 0;
    },
  };
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  if (!response.headers.get("content-type")?.startsWith("text/plain")) {
    throw new Error(`/metrics content type ${response.headers.get("content-type")}`);
  }
  return parseExposition(await response.text());
}
