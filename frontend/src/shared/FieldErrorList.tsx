/**
 * Field errors of a problem document that no form field shows beside itself, listed by field
 * name (the Start, Retry-failed and preflight forms share it). Renders nothing when empty. A
 * field whose message is the problem's `detail`, which the form already shows above the list, is
 * left out so no message is shown twice (issue 16, obs. 8).
 */
export function FieldErrorList({ errors, detail }: { errors: [string, string[]][]; detail?: string | null }) {
  const listed = errors.filter(([, messages]) => !detail || messages.join(' ') !== detail);
  if (listed.length === 0) return null;
  return (
    <ul>
      {listed.map(([field, messages]) => (
        <li key={field}>
          <code>{field}</code>: {messages.join(' ')}
        </li>
      ))}
    </ul>
  );
}
