import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import type { HealthSamples, HealthView } from '../api/types';
import { mergeSamples } from '../lib/health';
import { HEALTH_POLL_INTERVAL_MS } from '../lib/polling';
import { api } from './session';

/** The gate's query key, shared by the health page and the run page's throttle banner. */
export const HEALTH_QUERY_KEY = ['health'] as const;
const SAMPLES_QUERY_KEY = ['health-samples'] as const;

/** `GET /ops/health` (docs/spec.md §14), polled while `poll` (the page, a throttle banner). */
export function useHealth({ poll }: { poll: boolean }) {
  return useQuery({
    queryKey: HEALTH_QUERY_KEY,
    queryFn: ({ signal }): Promise<HealthView> => unwrap(api.GET('/system/api/ops/health', { signal })),
    refetchInterval: poll ? HEALTH_POLL_INTERVAL_MS : false,
  });
}

/**
 * The last hour's samples and episodes (`GET /ops/health/samples`): the whole hour once, then at
 * each poll only those since the newest sample the page has (the server's clock), merged in.
 */
export function useHealthSamples() {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: SAMPLES_QUERY_KEY,
    queryFn: async ({ signal }): Promise<HealthSamples> => {
      const previous = queryClient.getQueryData<HealthSamples>(SAMPLES_QUERY_KEY);
      const newest = previous?.items[previous.items.length - 1]?.sampled_at;
      const next: HealthSamples = await unwrap(
        api.GET('/system/api/ops/health/samples', {
          params: { query: newest === undefined ? {} : { since: newest } },
          signal,
        }),
      );
      return mergeSamples(previous, next);
    },
    refetchInterval: HEALTH_POLL_INTERVAL_MS,
  });
}
