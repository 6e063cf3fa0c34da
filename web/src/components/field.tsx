// A labelled form control with its hint and the API's messages about it, tied together
// with aria-describedby so a screen reader reads them with the control.
import type { ComponentChildren } from "preact";
import type { FieldIssue } from "../api/errors.ts";

export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  issues?: FieldIssue[];
  children: (aria: {
    id: string;
    "aria-describedby"?: string;
    "aria-invalid"?: boolean;
  }) => ComponentChildren;
}) {
  const { id, label, hint, issues = [] } = props;
  const described = [hint ? `${id}-hint` : "", issues.length ? `${id}-issues` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div class={`field${issues.length ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      {props.children({
        id,
        ...(described ? { "aria-describedby": described } : {}),
        ...(issues.length ? { "aria-invalid": true } : {}),
      })}
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      {issues.length > 0 && (
        <ul id={`${id}-issues`} class="issues">
          {issues.map((issue) => (
            <li key={issue.message}>{issue.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
