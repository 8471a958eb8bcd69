import { unwrap } from '../api/client';
import type { OpsTenant, TenantLookup } from '../api/types';
import { type ListLookup, LOOKUP_CHUNK, chunked, mergeLookups } from '../lib/tenantList';
import { api } from './session';

/**
 * Looks a list of external ids up (`POST /ops/tenants/lookup`) in slices of 1,000 ids, one after
 * the other, so that a 10,000-id list stays far below the request body limit: a list scope's
 * tenants, or a start's canary tenants.
 */
export async function lookupTenants(ids: string[]): Promise<ListLookup<OpsTenant>> {
  const lookupSlice = (slice: string[]): Promise<TenantLookup> =>
    unwrap(api.POST('/system/api/ops/tenants/lookup', { body: { external_ids: slice } }));
  const answers: TenantLookup[] = [];
  for (const slice of chunked(ids, LOOKUP_CHUNK)) answers.push(await lookupSlice(slice));
  return mergeLookups(ids, answers);
}
