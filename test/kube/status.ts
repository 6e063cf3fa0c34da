// Kubernetes `Status` objects: how the API server reports every failure (and some
// successes), with the HTTP code, a machine-readable `reason` and, for invalid objects, the
// fields at fault. Clients (client-node's ApiException, kubectl) read these, so the fake
// answers with the same shapes.

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A request the fake refuses: thrown by handlers, answered as a Status by the router. */
export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = "ApiError";
  }
}

export const failure = (
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): Status => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  ...(details ? { details } : {}),
  code,
});

export const success = (details: StatusDetails): Status => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Success",
  details,
  code: 200,
});

/** "jobs.batch", "pods": how the API server names a resource in messages. */
export const qualified = (resource: string, group: string) =>
  group ? `${resource}.${group}` : resource;

export const notFound = (resource: string, group: string, name: string) =>
  new ApiError(
    failure(404, "NotFound", `${qualified(resource, group)} "${name}" not found`, {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    }),
  );

export const alreadyExists = (resource: string, group: string, name: string) =>
  new ApiError(
    failure(409, "AlreadyExists", `${qualified(resource, group)} "${name}" already exists`, {
      name,
      ...(group ? { group } : {}),
      kind: resource,
    }),
  );

export const conflict = (resource: string, group: string, name: string, why: string) =>
  new ApiError(
    failure(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`,
      { name, ...(group ? { group } : {}), kind: resource },
    ),
  );

export const invalid = (kind: string, group: string, name: string, causes: StatusCause[]) =>
  new ApiError(
    failure(
      422,
      "Invalid",
      `${kind}${group ? `.${group}` : ""} "${name}" is invalid: ${causes
        .map((c) => (c.field ? `${c.field}: ${c.message}` : c.message))
        .join(", ")}`,
      { name, ...(group ? { group } : {}), kind, causes },
    ),
  );

export const badRequest = (message: string) => new ApiError(failure(400, "BadRequest", message));

export const gone = (message: string) => new ApiError(failure(410, "Expired", message));

export const unauthorized = () => new ApiError(failure(401, "Unauthorized", "Unauthorized"));

export const methodNotAllowed = (method: string) =>
  new ApiError(
    failure(
      405,
      "MethodNotAllowed",
      `the server does not allow this method on the requested resource (${method})`,
    ),
  );

export const unknownPath = () =>
  new ApiError(failure(404, "NotFound", "the server could not find the requested resource"));
