// A tenant's API keys: creating one (its secret is shown this once, never again) and
// revoking one (its open connections close within moments).
import { useState } from "preact/hooks";
import { CREATE_API_KEY, REVOKE_API_KEY } from "../../api/operations/admin.ts";
import type { ApiKey } from "../../api/types.ts";
import { Field } from "../../components/field.tsx";
import { Empty, ErrorNotice } from "../../components/status.tsx";
import { useAction } from "../../hooks/use-action.ts";
import { formatDateTime } from "../../lib/format.ts";

interface Created {
  __typename: "CreatedApiKey";
  token: string;
  apiKey: ApiKey;
}

export function ApiKeys({
  tenant,
  keys,
  onChanged,
}: {
  tenant: string;
  keys: ApiKey[];
  onChanged: (key: ApiKey) => void;
}) {
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  return (
    <section class="panel" aria-labelledby="keys-heading">
      <h2 id="keys-heading">API keys</h2>
      {secret && (
        <div class="status success secret" role="status">
          <p>
            The key <strong>{secret.name}</strong> was created. Copy its secret now: it is not shown
            again.
          </p>
          <p>
            <code data-testid="new-key-secret">{secret.token}</code>{" "}
            <button
              type="button"
              class="secondary"
              onClick={() => void navigator.clipboard?.writeText(secret.token)}
            >
              Copy
            </button>{" "}
            <button type="button" class="secondary" onClick={() => setSecret(null)}>
              Done
            </button>
          </p>
        </div>
      )}
      <CreateKey
        tenant={tenant}
        onCreated={(created) => {
          setSecret({ name: created.apiKey.name, token: created.token });
          onChanged(created.apiKey);
        }}
      />
      {keys.length === 0 ? (
        <Empty>No keys yet.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Owner</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <KeyRow key={key.id} apiKey={key} onChanged={onChanged} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function KeyRow({ apiKey, onChanged }: { apiKey: ApiKey; onChanged: (key: ApiKey) => void }) {
  const action = useAction();
  const revoke = () => {
    if (!window.confirm(`Revoke the key ${apiKey.name}? Anything using it stops working.`)) return;
    void action.run<ApiKey>(REVOKE_API_KEY, "revokeApiKey", { id: apiKey.id }, onChanged);
  };
  const expired = apiKey.expiresAt !== null && new Date(apiKey.expiresAt).getTime() < Date.now();
  return (
    <tr>
      <td>{apiKey.name}</td>
      <td class="mono">{apiKey.prefix}</td>
      <td>{apiKey.user.email}</td>
      <td>{formatDateTime(apiKey.createdAt)}</td>
      <td>{formatDateTime(apiKey.lastUsedAt)}</td>
      <td>
        {apiKey.revokedAt
          ? `Revoked ${formatDateTime(apiKey.revokedAt)}`
          : expired
            ? "Expired"
            : apiKey.expiresAt
              ? `Expires ${formatDateTime(apiKey.expiresAt)}`
              : "Active"}
      </td>
      <td>
        {!apiKey.revokedAt && (
          <button
            type="button"
            class="secondary danger"
            disabled={action.busy}
            onClick={revoke}
            aria-label={`Revoke key ${apiKey.name}`}
          >
            Revoke
          </button>
        )}
        {action.error && (
          <span class="inline-error" role="alert">
            {action.error.message}
          </span>
        )}
      </td>
    </tr>
  );
}

function CreateKey({
  tenant,
  onCreated,
}: {
  tenant: string;
  onCreated: (created: Created) => void;
}) {
  const action = useAction();
  const [name, setName] = useState("");
  const [role, setRole] = useState("MEMBER");
  const [email, setEmail] = useState("");
  const [expires, setExpires] = useState("");
  const submit = async (event: Event) => {
    event.preventDefault();
    const input = {
      tenant,
      name: name.trim(),
      role,
      ...(email.trim() ? { email: email.trim() } : {}),
      ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}),
    };
    const created = await action.run<Created>(CREATE_API_KEY, "createApiKey", { input }, onCreated);
    if (created) setName("");
  };
  return (
    <details class="subpanel">
      <summary>Create a key</summary>
      <form class="form-grid" onSubmit={submit} aria-label="Create an API key">
        <Field
          id="key-name"
          label="Key name"
          issues={action.error?.issues.filter((i) => i.field === "name") ?? []}
        >
          {(aria) => (
            <input
              {...aria}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
              required
            />
          )}
        </Field>
        <Field id="key-role" label="Role">
          {(aria) => (
            <select {...aria} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              <option value="OWNER">Owner: manages keys, reads the audit log</option>
              <option value="MEMBER">Member: submits jobs</option>
              <option value="VIEWER">Viewer: reads only</option>
            </select>
          )}
        </Field>
        <Field
          id="key-email"
          label="Owner's email"
          hint="Optional; a service user is created without"
        >
          {(aria) => (
            <input
              {...aria}
              type="email"
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="key-expires" label="Expires" hint="Optional, in your time zone">
          {(aria) => (
            <input
              {...aria}
              type="datetime-local"
              value={expires}
              onInput={(e) => setExpires(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="form-actions">
          <button type="submit" disabled={action.busy}>
            Create key
          </button>
        </div>
        {action.error && <ErrorNotice error={action.error} />}
      </form>
    </details>
  );
}
