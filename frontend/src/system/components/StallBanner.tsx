import { useQuery } from '@tanstack/react-query';
import { unwrap } from '../../api/client';
import type { Page, Run, RunItem, Stall } from '../../api/types';
import { tenantLabel } from '../../lib/format';
import { stallOthers, stallSentence } from '../../lib/runs';
import { api } from '../session';

/**
 * The run's `stalled` (docs/spec.md §18) in words, with what to do: open the stuck tenant's item (its
 * attempts, next attempt and error) or cancel the run. The tenant is named from its item, which
 * also says how long it has been running; until that loads, its external id stands in.
 */
export function StallBanner({
  run,
  stall,
  now,
  onOpenItem,
  onCancel,
}: {
  run: Pick<Run, 'id'>;
  stall: Stall;
  now: Date;
  onOpenItem: (search: string) => void;
  onCancel: (() => void) | null;
}) {
  const item = useQuery({
    queryKey: ['run-items', run.id, { stalled: stall.tenant_id }],
    queryFn: ({ signal }): Promise<Page<RunItem>> =>
      unwrap(
        api.GET('/system/api/ops/runs/{id}/items', {
          params: { path: { id: run.id }, query: { search: stall.tenant_external_id, per_page: 20 } },
          signal,
        }),
      ),
    select: (page) => page.items.find((candidate) => candidate.tenant_id === stall.tenant_id) ?? null,
  });
  const stuck = item.data ?? null;
  const tenant = stuck && stuck.tenant_name
    ? tenantLabel({ name: stuck.tenant_name, external_id: stuck.tenant_external_id })
    : stall.tenant_external_id;
  return (
    <div className="notice notice-warning stall" role="status" data-testid="stall-banner">
      <p>
        <strong>Stalled.</strong> {stallSentence(stall, tenant, stuck?.started_at ?? null, now)}{' '}
        {stallOthers(stall)}
      </p>
      <p>
        What to do: open its item to see its attempts and last error
        {onCancel ? ', or cancel the run if it should not go on' : ''}.
      </p>
      <p className="stall-actions">
        <button type="button" className="button-secondary" onClick={() => onOpenItem(stall.tenant_external_id)}>
          Open {stall.tenant_external_id}&rsquo;s item
        </button>
        {onCancel && (
          <button type="button" className="button-danger" onClick={onCancel}>
            Cancel run…
          </button>
        )}
      </p>
    </div>
  );
}
