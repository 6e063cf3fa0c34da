// Relay connections over keyset SQL, for the lists read most (tenants, the audit log).
// Pothos' prismaConnection plans a Prisma query from the GraphQL selection on every request
// (about 150 µs of a 600 µs page on the reference machine, BENCHMARKS.md); these lists never
// need that plan unless their nodes ask for relations: then (nodeRelationsQuery) the plan is
// made and the page goes through Prisma with its includes; otherwise one SQL statement
// (src/db/keyset-page.ts) serves it.
// Cursors keep prismaConnection's encoding, so both kinds of list read the same cursors.
import {
  decodeBase64,
  decodeCursorChunk,
  encodeBase64,
  encodeCursorChunk,
  PothosValidationError,
  parseCursorConnectionArgs,
} from "@pothos/core";
import { queryFromInfo } from "@pothos/plugin-prisma";
import {
  type FieldNode,
  type GraphQLResolveInfo,
  getNamedType,
  isLeafType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from "graphql";
import type { KeysetPage } from "../db/keyset-page.ts";

function encodeCursor(key: unknown): string {
  return encodeBase64(`GPC:${encodeCursorChunk(key)}`);
}

function decodeCursor(cursor: string): unknown {
  try {
    const decoded = decodeBase64(cursor);
    if (decoded.startsWith("GPC:")) return decodeCursorChunk(decoded.slice(4));
  } catch {}
  throw new PothosValidationError(`Invalid cursor: ${cursor}`);
}

/** Relay's paging arguments, as every connection field takes them. */
export interface ConnectionArguments {
  first?: number | null;
  last?: number | null;
  before?: string | null;
  after?: string | null;
}

export interface Connection<Row> {
  edges: Array<{ cursor: string; node: Row }>;
  pageInfo: {
    startCursor: string;
    endCursor: string;
    hasPreviousPage: boolean;
    hasNextPage: boolean;
  };
}

/**
 * One page of a connection. `load` returns rows in list order, at most `page.limit` of them:
 * one more than asked for when more rows follow (for a backward page, the extra row comes
 * first). `keyOf` gives a row's key: the unique column the list is ordered by.
 */
export async function resolveKeysetConnection<Row, K>(
  args: ConnectionArguments,
  load: (page: KeysetPage<K>) => Promise<Row[]>,
  keyOf: (row: Row) => K,
): Promise<Connection<Row>> {
  const parsed = parseCursorConnectionArgs({ args });
  const rows = await load({
    after: parsed.after === undefined ? undefined : (decodeCursor(parsed.after) as K),
    before: parsed.before === undefined ? undefined : (decodeCursor(parsed.before) as K),
    limit: parsed.limit,
    inverted: parsed.inverted,
  });
  const surplus = Math.max(0, rows.length - parsed.expectedSize);
  const page = parsed.inverted ? rows.slice(surplus) : rows.slice(0, rows.length - surplus);
  const edges = page.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  const fallback = args.after ?? args.before ?? "";
  return {
    edges,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? fallback,
      endCursor: edges.at(-1)?.cursor ?? fallback,
      hasPreviousPage: parsed.hasPreviousPage(rows.length),
      hasNextPage: parsed.hasNextPage(rows.length),
    },
  };
}

/**
 * The Prisma `include`/`select` for the nodes of a keyset connection whose query asks for
 * relations in them (`edges { node { quota { … } } }`), so one query loads the page and its
 * relations; undefined when the nodes want columns only and plain SQL serves the page.
 * Whether a selection reaches into objects is remembered per field node: cached documents
 * hand the same AST to every request, and the answer does not depend on variables (a field
 * under @include counts as selected, which only sends the page the thorough way).
 */
export function nodeRelationsQuery(
  info: GraphQLResolveInfo,
  context: object,
  typeName: string,
): { include?: object; select?: object } | undefined {
  const field = info.fieldNodes[0];
  if (!field) return undefined;
  let selects = selectsObjects.get(field);
  if (selects === undefined) {
    selects = nodeSelectionReachesObjects(info, typeName);
    selectsObjects.set(field, selects);
  }
  if (!selects) return undefined;
  return queryFromInfo({ context, info, typeName, path: ["edges", "node"] }) as {
    include?: object;
    select?: object;
  };
}

const selectsObjects = new WeakMap<FieldNode, boolean>();

function nodeSelectionReachesObjects(info: GraphQLResolveInfo, typeName: string): boolean {
  const nodeType = info.schema.getType(typeName);
  if (!isObjectType(nodeType)) return true;
  const columns = nodeType.getFields();
  // The fields a selection set names, through inline and named fragments.
  const fieldsOf = (set: SelectionSetNode | undefined): FieldNode[] =>
    (set?.selections ?? []).flatMap((selection) => {
      if (selection.kind === Kind.FIELD) return [selection];
      if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(selection.selectionSet);
      return fieldsOf(info.fragments[selection.name.value]?.selectionSet);
    });
  const named = (fields: FieldNode[], name: string) =>
    fields.filter((field) => field.name.value === name).flatMap((f) => fieldsOf(f.selectionSet));
  const nodeFields = named(
    named(
      info.fieldNodes.flatMap((f) => fieldsOf(f.selectionSet)),
      "edges",
    ),
    "node",
  );
  return nodeFields.some((field) => {
    const type = columns[field.name.value]?.type;
    return type !== undefined && !isLeafType(getNamedType(type));
  });
}
