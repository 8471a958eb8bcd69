// A list of tenants an operator pastes or uploads for a `tenants` scope (docs/spec.md §21): the
// external ids it names, read the way the CLI's `--tenants-file` reads them.

/** Most tenants a list scope may name (after deduplication), as the server counts them. */
export const MAX_LISTED_TENANTS = 10_000;

/** External ids sent per `POST /ops/tenants/lookup`, so that a long list stays far below the body limit. */
export const LOOKUP_CHUNK = 1_000;

/** The same ids once each, in the order first named. */
function unique(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}

/**
 * External ids from pasted text: one per line, or separated by commas, semicolons, tabs or spaces;
 * blanks and repeats left out (the first occurrence keeps its place). Surrounding quotes, as a
 * spreadsheet copies a cell, are dropped.
 */
export function parsePastedIds(text: string): string[] {
  return unique(
    text
      .replace(/^\uFEFF/, '')
      .split(/[\s,;]+/)
      .map((id) => id.replace(/^"(.*)"$/, '$1').trim())
      .filter((id) => id !== ''),
  );
}

/** The rows of CSV text (RFC 4180: quoted fields may hold commas, quotes as "", and line breaks). */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const source = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += char;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * External ids from a file: a CSV whose header has an `external_id` column gives that column
 * (any other columns, such as a name, are ignored) — or, failing that, a `tenant_external_id`
 * column, so the console's own CSVs (a preflight's tenants, a run's items) can be read back; any
 * other file is one external id per line.
 */
export function parseTenantFile(text: string): { ids: string[]; column: string | null } {
  const rows = csvRows(text);
  const header = rows[0]?.map((cell) => cell.trim().toLowerCase()) ?? [];
  const name = ['external_id', 'tenant_external_id'].find((candidate) => header.includes(candidate)) ?? null;
  if (name !== null) {
    const column = header.indexOf(name);
    return {
      ids: unique(rows.slice(1).map((row) => (row[column] ?? '').trim()).filter((id) => id !== '')),
      column: name,
    };
  }
  return {
    ids: unique(
      text
        .replace(/^\uFEFF/, '')
        .split(/\r\n|\r|\n/)
        .map((line) => line.trim().replace(/^"(.*)"$/, '$1').trim())
        .filter((id) => id !== ''),
    ),
    column: null,
  };
}

/** `ids` in slices of at most `size`. */
export function chunked<T>(ids: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < ids.length; start += size) chunks.push(ids.slice(start, start + size));
  return chunks;
}

/** What `POST /ops/tenants/lookup` answered for a whole list, however many requests it took. */
export interface ListLookup<T> {
  /** The ids looked up, as sent. */
  ids: string[];
  found: T[];
  /** Ids that name no tenant, as sent. */
  missing: string[];
  /** The platform tenant's id as sent, when the list names it. */
  platform: string | null;
}

/** Joins the answers for the slices of one list. */
export function mergeLookups<T>(
  ids: string[],
  answers: readonly { found: T[]; missing: string[]; platform?: string | null }[],
): ListLookup<T> {
  return {
    ids,
    found: answers.flatMap((answer) => answer.found),
    missing: answers.flatMap((answer) => answer.missing),
    platform: answers.find((answer) => answer.platform != null)?.platform ?? null,
  };
}

/** The ids the operator must fix: those not found, then the platform tenant. */
export function refusedIds(lookup: Pick<ListLookup<unknown>, 'missing' | 'platform'>): string[] {
  return lookup.platform !== null ? [...lookup.missing, lookup.platform] : lookup.missing;
}

/** The list without the ids the lookup refused, one per line, for the text box. */
export function withoutRefused(ids: readonly string[], lookup: Pick<ListLookup<unknown>, 'missing' | 'platform'>): string {
  const refused = new Set(refusedIds(lookup));
  return ids.filter((id) => !refused.has(id)).join('\n');
}
