// DateTime (ISO-8601 with zone) and JSON scalars.
import { GraphQLError, Kind, type ValueNode } from "graphql";
import { builder } from "./builder.ts";

function parseDate(value: unknown): Date {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    throw new GraphQLError("DateTime must be an ISO-8601 string such as 2026-01-31T12:00:00Z");
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new GraphQLError(`invalid DateTime "${value}"`);
  return date;
}

builder.scalarType("DateTime", {
  description: "An instant as an ISO-8601 string, e.g. 2026-01-31T12:00:00.000Z",
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

function literalToJson(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalToJson);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value)]));
    default:
      throw new GraphQLError("variables are not allowed inside JSON literals");
  }
}

builder.scalarType("JSON", {
  description: "Any JSON value",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalToJson,
});
