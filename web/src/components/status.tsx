// The three states every view has besides its data: loading, failed, and nothing to show.
import type { ComponentChildren } from "preact";
import { ApiError, messageOf } from "../api/errors.ts";
import { explainCode } from "../lib/error-codes.ts";

export function Loading({ what }: { what: string }) {
  return (
    <p class="status loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, retry }: { error: unknown; retry?: () => void }) {
  const code = error instanceof ApiError ? error.code : null;
  const explanation = explainCode(code);
  return (
    <div class="status error" role="alert">
      <p>
        <strong>{code ?? "Error"}</strong>
        {explanation ? `: ${explanation}` : ""}
      </p>
      <p class="detail">{messageOf(error)}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="status empty">{children}</p>;
}
