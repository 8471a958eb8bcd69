/** Field errors of a problem document that no form field shows beside itself, listed by field
 * name (the Start, Retry-failed and preflight forms share it). Renders nothing when empty. */
export function FieldErrorList({ errors }: { errors: [string, string[]][] }) {
  if (errors.length === 0) return null;
  return (
    <ul>
      {errors.map(([field, messages]) => (
        <li key={field}>
          <code>{field}</code>: {messages.join(' ')}
        </li>
      ))}
    </ul>
  );
}
