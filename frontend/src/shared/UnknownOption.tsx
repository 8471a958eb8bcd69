/**
 * The option a filter `<select>` needs for a value from the URL that is none of its options (a
 * hand-edited or old link): shown as what it is, so the select says the filter the list was
 * asked with instead of showing "Any" while it applies (issue 22, item 10). Nothing otherwise.
 */
export function UnknownOption({ value, known }: { value: string; known: readonly string[] }) {
  if (value === '' || known.includes(value)) return null;
  return <option value={value}>{value} (unknown)</option>;
}
