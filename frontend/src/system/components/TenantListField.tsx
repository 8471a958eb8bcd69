import { type Ref, useId, useState } from 'react';
import type { OpsTenant } from '../../api/types';
import { errorMessage } from '../../lib/errors';
import { tenantCount } from '../../lib/format';
import { type ListLookup, MAX_LISTED_TENANTS, parseTenantFile, refusedIds } from '../../lib/tenantList';
import { FieldErrorList } from '../../shared/FieldErrorList';
import { fieldErrors } from './ReasonFields';

/** Refused ids listed by name; beyond, a count (a 10,000-line paste of wrong ids stays readable). */
const REFUSED_SHOWN = 50;

/** A file's text, read in the browser (FileReader where `Blob.text` is missing, as in jsdom). */
function readText(file: File): Promise<string> {
  if (typeof file.text === 'function') return file.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ''));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsText(file);
  });
}

/**
 * The "Listed tenants" scope's input (docs/spec.md §21): external ids pasted into a text box (one
 * per line, or separated by commas or spaces) or read from a file chosen here — a CSV's
 * `external_id` column, else one id per line; the file is read in the browser and its ids replace
 * the box's text, where they can still be edited. After the page has looked the list up
 * (`lookup`) it shows either how many tenants it found, or the ids it did not find (and the
 * platform tenant, which no runbook may target) as an error to fix, with `onRemoveRefused` to drop
 * them and go on.
 */
export function TenantListField({
  text,
  onText,
  ids,
  lookup,
  lookupError,
  onRemoveRefused,
  problemsRef,
  busy,
}: {
  text: string;
  onText: (text: string) => void;
  /** The distinct ids the text names. */
  ids: readonly string[];
  /** The lookup of exactly these ids, once made. */
  lookup: ListLookup<OpsTenant> | null;
  lookupError: Error | null;
  onRemoveRefused: () => void;
  /** Takes focus when the lookup refused ids. */
  problemsRef?: Ref<HTMLDivElement>;
  busy: boolean;
}) {
  const id = useId();
  const [fileNote, setFileNote] = useState<string | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const tooMany = ids.length > MAX_LISTED_TENANTS;
  const refused = lookup ? refusedIds(lookup) : [];

  const readFile = async (file: File) => {
    setFileError(null);
    try {
      const { ids: read, column } = parseTenantFile(await readText(file));
      onText(read.join('\n'));
      setFileNote(
        `Read ${read.length} external ${read.length === 1 ? 'id' : 'ids'} from ${file.name}` +
          (column ? ` (its ${column} column).` : ' (one per line).'),
      );
    } catch {
      setFileNote(null);
      setFileError(`${file.name} could not be read.`);
    }
  };

  const describedBy = [`${id}-help`, `${id}-count`, refused.length > 0 ? `${id}-refused` : null]
    .filter(Boolean)
    .join(' ');

  return (
    <div className="tenant-list">
      <label htmlFor={`${id}-ids`}>External ids</label>
      <textarea
        id={`${id}-ids`}
        rows={6}
        spellCheck={false}
        autoComplete="off"
        value={text}
        aria-invalid={refused.length > 0 || tooMany ? true : undefined}
        aria-describedby={describedBy}
        placeholder={'tenant-001\ntenant-002'}
        onChange={(event) => {
          setFileNote(null);
          onText(event.target.value);
        }}
      />
      <p id={`${id}-help`} className="field-help">
        One per line, or separated by commas or spaces; up to {MAX_LISTED_TENANTS.toLocaleString('en-US')}.
      </p>
      <p id={`${id}-count`} className={tooMany ? 'field-error' : 'field-help'}>
        {tooMany
          ? `${ids.length.toLocaleString('en-US')} external ids: a list names at most ${MAX_LISTED_TENANTS.toLocaleString('en-US')}.`
          : ids.length > 0 && `${ids.length} external ${ids.length === 1 ? 'id' : 'ids'}.`}
      </p>

      <label htmlFor={`${id}-file`}>Or read them from a file</label>
      <input
        id={`${id}-file`}
        type="file"
        accept=".csv,.txt,text/csv,text/plain"
        aria-describedby={`${id}-file-help`}
        onChange={(event) => {
          const file = event.target.files?.[0];
          if (file) void readFile(file);
          // The same file can be read again after editing the text.
          event.target.value = '';
        }}
      />
      <p id={`${id}-file-help`} className="field-help">
        A CSV with an <code>external_id</code> column, or one external id per line. The file stays in
        your browser; its ids replace the text above.
      </p>
      <p className="field-help" role="status">
        {fileNote}
      </p>
      {fileError && <p className="field-error">{fileError}</p>}

      {lookupError && !busy && (
        <div className="form-error" role="alert">
          <p>The list could not be checked: {errorMessage(lookupError)}</p>
          <FieldErrorList errors={Object.entries(fieldErrors(lookupError))} detail={errorMessage(lookupError)} />
        </div>
      )}
      {lookup && refused.length > 0 && (
        <div id={`${id}-refused`} className="form-error list-refused" role="alert" tabIndex={-1} ref={problemsRef}>
          <p>
            {refused.length} of the {lookup.ids.length} external ids {refused.length === 1 ? 'is' : 'are'} not
            a tenant a runbook can target. Fix the list, or remove {refused.length === 1 ? 'it' : 'them'}:
          </p>
          <ul>
            {refused.slice(0, REFUSED_SHOWN).map((refusedId) => (
              <li key={refusedId}>
                <code>{refusedId}</code> —{' '}
                {refusedId === lookup.platform
                  ? 'the platform tenant, which no runbook may target'
                  : 'not found'}
              </li>
            ))}
            {refused.length > REFUSED_SHOWN && <li>and {refused.length - REFUSED_SHOWN} more</li>}
          </ul>
          {lookup.found.length > 0 && (
            <button type="button" className="button-secondary" onClick={onRemoveRefused} disabled={busy}>
              {lookup.platform === null
                ? `Remove the ${refused.length} not found and continue`
                : `Remove these ${refused.length} and continue`}
            </button>
          )}
        </div>
      )}
      {lookup && refused.length === 0 && (
        <p className="field-help list-found" role="status">
          {tenantCount(lookup.found.length)} found.
        </p>
      )}
    </div>
  );
}
