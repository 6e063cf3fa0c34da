// Yoga keeps parsed documents (and parse errors) in LRU caches keyed by the query text. Its
// default counts entries only (1,024), so distinct large documents (a 1 MB string literal
// is a handful of tokens) could pin a gigabyte. These caches weigh each entry by its text:
// at most CACHED_TEXT_CHARS in all, and a document longer than MAX_CACHED_DOCUMENT_CHARS
// (far more than any real query: values belong in variables) is parsed each time and not
// kept, so abusive documents cannot push real ones out either.
import type { YogaServerOptions } from "graphql-yoga";
import { LRUCache } from "lru-cache";

const CACHED_TEXT_CHARS = 8 * 1024 * 1024;
const MAX_CACHED_DOCUMENT_CHARS = 64 * 1024;
const MAX_ENTRIES = 1024;
const TTL_MS = 3_600_000;

type CacheOptions = Exclude<YogaServerOptions<object, object>["parserAndValidationCache"], boolean>;

function weighedCache<V extends object>() {
  return new LRUCache<string, V>({
    max: MAX_ENTRIES,
    ttl: TTL_MS,
    maxSize: CACHED_TEXT_CHARS,
    maxEntrySize: MAX_CACHED_DOCUMENT_CHARS,
    sizeCalculation: (_value, key) => Math.max(1, key.length),
  });
}

export function boundedParseCaches(): CacheOptions {
  return { documentCache: weighedCache(), errorCache: weighedCache(), validationCache: true };
}
