// A small structured logger: one line per event on stderr, JSON in production so log
// shippers can parse it, readable text in development.
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      stack: value.stack,
      ...(value.cause ? { cause: serialise(value.cause) } : {}),
    };
  }
  return value;
}

export function createLogger(
  options: { json?: boolean; write?: (line: string) => void; silent?: boolean } = {},
  bound: Record<string, unknown> = {},
): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    if (options.silent) return;
    const all = Object.fromEntries(
      Object.entries({ ...bound, ...fields }).map(([k, v]) => [k, serialise(v)]),
    );
    if (options.json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...all }));
    } else {
      const extra = Object.keys(all).length > 0 ? ` ${JSON.stringify(all)}` : "";
      write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}${extra}`);
    }
  };
  return {
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}
