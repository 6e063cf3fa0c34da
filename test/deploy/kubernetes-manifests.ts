// Reads and validates the Kubernetes manifests under deploy/kubernetes/. Two checks per
// object, because neither is enough alone:
// - the OpenAPI schema, through the kubernetes-models class of its apiVersion and kind
//   (types, required fields, enums); a kind the library does not know is an error;
// - unknown fields, which that schema lets through (a misspelt `securityContex` would be
//   ignored by the cluster: a silent hole). kubectl rejects them (strict field validation);
//   here the field lists of @kubernetes/client-node's models stand in for the server's.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import * as client from "@kubernetes/client-node";
import * as models from "kubernetes-models";
import { parseAllDocuments } from "yaml";

export const KUBERNETES_DIR = path.resolve(import.meta.dirname, "../../deploy/kubernetes");

/** Any Kubernetes object; tests narrow it with the models' type guards (`Deployment.is`). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface LoadedManifest {
  /** file#index, for messages. */
  source: string;
  object: Manifest;
}

/** Every document of every YAML file in the folder, in file order; empty documents skipped. */
export function loadManifests(dir = KUBERNETES_DIR): LoadedManifest[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(dir, file), "utf8")).flatMap((doc, index) => {
      const source = `${file}#${index}`;
      if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message}`);
      const object = doc.toJS() as Manifest | null;
      return object === null ? [] : [{ source, object }];
    }),
  );
}

type ModelClass = new (data: unknown) => { validate(): void };

/** "rbac.authorization.k8s.io" → "rbacAuthorizationK8sIo", the library's export name. */
const exportNameOf = (group: string) =>
  group.replace(/[.-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The kubernetes-models class for an apiVersion and kind, if the library has one. */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const tree = models as unknown as Record<string, Record<string, Record<string, unknown>>>;
  const versions =
    group === "" ? { [String(version)]: tree.v1 } : tree[exportNameOf(String(group))];
  const model = versions?.[String(version)]?.[kind];
  return typeof model === "function" ? (model as ModelClass) : undefined;
}

interface Attribute {
  baseName: string;
  type: string;
}
type ClientModel = { getAttributeTypeMap(): Attribute[] };

function clientModel(type: string): ClientModel | undefined {
  const model = (client as unknown as Record<string, unknown>)[type];
  return typeof model === "function" && "getAttributeTypeMap" in model
    ? (model as unknown as ClientModel)
    : undefined;
}

/** Paths of fields the object's type does not have, walking nested types. */
function unknownFields(value: unknown, type: string, at: string): string[] {
  const list = /^Array<(.+)>$/.exec(type);
  if (list?.[1] && Array.isArray(value)) {
    const element = list[1];
    return value.flatMap((item, i) => unknownFields(item, element, `${at}[${i}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1] && value && typeof value === "object") {
    const element = map[1];
    return Object.entries(value).flatMap(([k, v]) => unknownFields(v, element, `${at}.${k}`));
  }
  const model = clientModel(type);
  if (!model || !value || typeof value !== "object") return [];
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([field, child]) => {
    const childType = attributes.get(field);
    if (childType === undefined) return [`${at}.${field}`];
    return unknownFields(child, childType, `${at}.${field}`);
  });
}

/** "apps/v1" + "Deployment" → "V1Deployment", client-node's model name. */
function clientTypeOf(apiVersion: string, kind: string): string {
  const version = apiVersion.split("/").at(-1) ?? "";
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

/** What is wrong with one object; empty when it would be accepted. */
export function manifestProblems(object: Manifest): string[] {
  const { apiVersion, kind } = object;
  const Model = modelFor(apiVersion, kind);
  if (!Model) return [`unknown apiVersion/kind ${apiVersion}/${kind}`];
  const problems: string[] = [];
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`schema: ${error instanceof Error ? error.message : String(error)}`);
  }
  const type = clientTypeOf(apiVersion, kind);
  if (!clientModel(type)) problems.push(`no field list for ${type}`);
  for (const field of unknownFields(object, type, kind)) problems.push(`unknown field ${field}`);
  return problems;
}
