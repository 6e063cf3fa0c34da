// Submitting jobs through the public API in tests, with inputs in the tenant's folder.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestApi } from "../helpers/api.ts";

export const JOB_FIELDS = `id jobId state attempt errorCode cancelRequested scorer
  resources { cpu memory gpus } tenant { slug }`;

export interface JobView {
  id: string;
  jobId: string | null;
  state: string;
  attempt: number;
  errorCode: string | null;
  cancelRequested: boolean;
  scorer: string;
  resources: { cpu: string; memory: string; gpus: number };
  tenant: { slug: string };
}

export type Outcome =
  | ({ __typename: "Job" } & JobView)
  | { __typename: string; code: string; message: string; issues?: Array<{ field: string }> };

/** Makes `<inputRoot>/<tenant>/<name>/input/gt.csv` and returns the relative input path. */
export function makeInput(api: TestApi, tenant: string, name = "sub"): string {
  const dir = path.join(api.inputRoot, tenant, name);
  mkdirSync(path.join(dir, "input"), { recursive: true });
  writeFileSync(path.join(dir, "input", "gt.csv"), "id,label\n1,a\n");
  return name;
}

export async function submit(
  api: TestApi,
  input: Record<string, unknown>,
  key?: string,
): Promise<Outcome> {
  const result = await api.gql<{ submitJob: Outcome }>(
    `mutation($input: JobSpecInput!) {
       submitJob(input: $input) {
         __typename
         ... on Job { ${JOB_FIELDS} }
         ... on Error { code message }
         ... on ValidationError { issues { field message } }
       }
     }`,
    { input },
    key,
  );
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.submitJob;
}

/** Submits a job that must be accepted; returns its id (throws with the error otherwise). */
export async function submitAccepted(
  api: TestApi,
  input: Record<string, unknown>,
  key?: string,
): Promise<string> {
  const outcome = await submit(api, input, key);
  if (outcome.__typename !== "Job") throw new Error(JSON.stringify(outcome));
  return (outcome as { id: string }).id;
}

export async function jobAction(
  api: TestApi,
  action: "cancelJob" | "retryJob",
  id: string,
  key?: string,
): Promise<Outcome> {
  const result = await api.gql<Record<string, Outcome>>(
    `mutation($id: ID!) {
       ${action}(id: $id) { __typename ... on Job { ${JOB_FIELDS} } ... on Error { code message } }
     }`,
    { id },
    key,
  );
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data[action] as Outcome;
}

export const baseSpec = (inputUri: string) => ({
  taskType: "classification",
  scorer: "classification_f1",
  inputUri,
});
