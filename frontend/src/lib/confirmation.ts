/**
 * Whether the typed confirmation phrase is exactly the expected one.
 *
 * Deliberately strict: case-sensitive, no trimming, no whitespace folding. The phrase names the
 * blast radius (`REBUILD 1000 TENANTS`); typing it character for character is the safeguard, and
 * the server compares it byte for byte too, so a lenient check here would only enable a Start
 * button for a request the server then refuses. An empty expected phrase never matches, so a
 * missing phrase cannot unlock the button.
 */
export function phraseMatches(typed: string, expected: string): boolean {
  return expected.length > 0 && typed === expected;
}
