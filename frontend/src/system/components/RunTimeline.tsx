import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { unwrap } from '../../api/client';
import type { Run, TimelineBucket } from '../../api/types';
import { clockTime, timelineBars } from '../../lib/runs';
import { ErrorState } from '../../shared/states';
import { api } from '../session';

const WIDTH = 600;
const HEIGHT = 120;

/**
 * Tenants finished and failed per minute over the run's life (`GET /ops/runs/{id}/timeline`), so
 * a slowdown or a burst of failures is seen at a glance. A hand-written SVG in a `<figure>`: the
 * caption says what it shows and the busiest minute, and the same numbers are a table under
 * "Show as table" for a screen reader or a precise reading.
 */
export function RunTimeline({ run }: { run: Pick<Run, 'id' | 'started_at' | 'updated_at'> }) {
  const ids = useId();
  // As of the run view the page shows (`until` = its `updated_at`), fetched again whenever that
  // view changes: the chart agrees with the count cards above it rather than running ahead of
  // them or drifting on a clock of its own; the last chart stays up while the next loads.
  const timeline = useQuery({
    queryKey: ['run-timeline', run.id, run.updated_at],
    queryFn: ({ signal }): Promise<TimelineBucket[]> =>
      unwrap(
        api.GET('/system/api/ops/runs/{id}/timeline', {
          params: { path: { id: run.id }, query: { until: run.updated_at } },
          signal,
        }),
      ),
    enabled: run.started_at !== null,
    placeholderData: keepPreviousData,
  });
  if (run.started_at === null) return null;
  if (timeline.isError) return <ErrorState error={timeline.error} onRetry={() => void timeline.refetch()} />;
  const buckets = timeline.data ?? [];
  if (buckets.length === 0) return null;

  const { bars, max } = timelineBars(buckets, WIDTH, HEIGHT);
  const succeeded = buckets.reduce((sum, b) => sum + b.succeeded, 0);
  const failed = buckets.reduce((sum, b) => sum + b.failed, 0);
  const first = buckets[0]!.minute;
  const last = buckets[buckets.length - 1]!.minute;
  // The busiest minute as counted, not the axis (which never goes below 1).
  const peak = Math.max(...buckets.map((b) => b.succeeded + b.failed));
  const summary = `${succeeded} succeeded and ${failed} failed over ${buckets.length} ${
    buckets.length === 1 ? 'minute' : 'minutes'
  } (${clockTime(first).slice(0, 5)}–${clockTime(last).slice(0, 5)} UTC); ${
    peak === 0 ? 'no tenant has finished yet.' : `at most ${peak} in one minute.`
  }`;

  return (
    <figure className="timeline" aria-labelledby={`${ids}-caption`}>
      <figcaption id={`${ids}-caption`}>
        <strong>Tenants finished per minute</strong> <span className="muted">{summary}</span>
        <span className="timeline-legend" aria-hidden="true">
          <span className="legend-succeeded">succeeded</span> <span className="legend-failed">failed</span>
        </span>
      </figcaption>
      <div className="timeline-chart">
        <span className="timeline-max" aria-hidden="true">
          {max}
        </span>
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`Bar chart: ${summary}`}
          focusable="false"
        >
          <line className="timeline-axis" x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
          {bars.map((bar) => (
            <g key={bar.minute}>
              <title>{`${clockTime(bar.minute).slice(0, 5)} UTC`}</title>
              {bar.succeeded.height > 0 && (
                <rect className="bar-succeeded" x={bar.x} y={bar.succeeded.y} width={bar.width} height={bar.succeeded.height} />
              )}
              {bar.failed.height > 0 && (
                <rect className="bar-failed" x={bar.x} y={bar.failed.y} width={bar.width} height={bar.failed.height} />
              )}
            </g>
          ))}
        </svg>
        <span className="timeline-start muted" aria-hidden="true">
          {clockTime(first).slice(0, 5)}
        </span>
        <span className="timeline-end muted" aria-hidden="true">
          {buckets.length >= 30 ? clockTime(last).slice(0, 5) : 'one bar per minute'}
        </span>
      </div>
      <details>
        <summary>Show as table</summary>
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Tenants finished per minute (UTC)</caption>
            <thead>
              <tr>
                <th scope="col">Minute (UTC)</th>
                <th scope="col" className="numeric">
                  Succeeded
                </th>
                <th scope="col" className="numeric">
                  Failed
                </th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((bucket) => (
                <tr key={bucket.minute}>
                  <td>{clockTime(bucket.minute).slice(0, 5)}</td>
                  <td className="numeric">{bucket.succeeded}</td>
                  <td className="numeric">{bucket.failed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
