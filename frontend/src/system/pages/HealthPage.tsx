import { useId, useState } from 'react';
import type { HealthEpisode, HealthReading, HealthSample, HealthView } from '../../api/types';
import { formatDuration, formatTimestamp, secondsBetween } from '../../lib/format';
import {
  chartSpan,
  chartSummary,
  everyWords,
  indicatorChart,
  indicatorLabel,
  indicatorOff,
  plainCheckSamples,
  readingWords,
  recoveryWords,
  samplesByIndicator,
  thresholdPhrase,
  thresholdWords,
  throttleAdvice,
  valueWords,
} from '../../lib/health';
import { clockTime, timeAgo } from '../../lib/runs';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { useHealth, useHealthSamples } from '../health';

const WIDTH = 600;
const HEIGHT = 100;

/** The clock for "since 2 min ago", ticking with the page's polls. */
function nowOf(updatedAt: number): Date {
  return new Date(Math.max(updatedAt, 0) || Date.now());
}

/**
 * The database health gate (docs/spec.md §14): whether tenants start now and why not, and each
 * indicator the sampler watches — its value against its threshold and its last hour as a chart,
 * with the gate's throttled episodes shaded. Polled every few seconds.
 */
export function HealthPage() {
  const health = useHealth({ poll: true });
  const samples = useHealthSamples();
  return (
    <section>
      <title>Database health · TenantAtlas Ops</title>
      <h1>Database health</h1>
      <p className="lead">
        While the database is unhealthy, the health gate stops every run from starting tenants; those already running
        finish. It opens again by itself once the database has been healthy for a few samples in a row.
      </p>
      {health.isPending ? (
        <LoadingState label="Loading the health gate…" />
      ) : health.isError && health.data === undefined ? (
        <ErrorState error={health.error} onRetry={() => void health.refetch()} />
      ) : (
        <>
          {health.isError && (
            <p className="form-error" role="alert">
              Live updates paused: the last poll failed.
            </p>
          )}
          <GateState gate={health.data} now={nowOf(health.dataUpdatedAt)} />
          <Indicators
            gate={health.data}
            samples={samples.data?.items}
            episodes={samples.data?.episodes}
            samplesError={samples.isError && samples.data === undefined ? samples.error : null}
            onRetry={() => void samples.refetch()}
          />
        </>
      )}
    </section>
  );
}

const STATE_LABELS: Record<HealthView['state'], string> = {
  healthy: 'Healthy',
  throttled: 'Throttled',
  stale: 'Stale',
};

/** The gate's state, since when, the last sample, and what it means for runs. */
function GateState({ gate, now }: { gate: HealthView; now: Date }) {
  const recovery = recoveryWords(gate);
  const sampled =
    gate.sampled_at === null
      ? 'No sample has been taken yet.'
      : `Last sampled ${formatTimestamp(gate.sampled_at)} (${timeAgo(gate.sampled_at, now)}); a worker samples ${everyWords(gate.sample_every_seconds)}.`;
  return (
    <div className={`panel gate gate-${gate.state}`} data-testid="gate-state">
      <p className="gate-headline">
        <span className={`badge badge-gate-${gate.state}`}>{STATE_LABELS[gate.state]}</span>{' '}
        <strong>
          {gate.state === 'healthy'
            ? 'Tenants start: every indicator is within its threshold.'
            : gate.state === 'throttled'
              ? gate.reason
                ? `No tenant starts: ${readingWords(gate.reason)}.`
                : 'No tenant starts: the database has not been healthy for long enough yet.'
              : 'No worker is sampling the database.'}
        </strong>
      </p>
      {gate.state === 'throttled' && (
        <>
          <p>
            Throttled since {formatTimestamp(gate.since)} ({timeAgo(gate.since, now)}). Tenants already running finish;
            no tenant of any run starts.
          </p>
          <p>
            The gate opens by itself {recovery}
            {gate.healthy_streak > 0 ? `: ${gate.healthy_streak} of ${gate.recovery_samples} so far` : ''}.
          </p>
          {gate.reason && (
            <p>
              <strong>What to do:</strong> {throttleAdvice(gate.reason.name)}. Each held run can still be paused or
              cancelled.
            </p>
          )}
        </>
      )}
      {gate.state === 'healthy' && <p>Healthy since {formatTimestamp(gate.since)} ({timeAgo(gate.since, now)}).</p>}
      {gate.state === 'stale' ? (
        <p>
          {gate.sampled_at === null
            ? 'No sample has been taken yet. '
            : `The last sample was taken ${formatTimestamp(gate.sampled_at)} (${timeAgo(gate.sampled_at, now)}). `}
          A gate not sampled for three intervals holds nothing: tenants start, but nothing watches the database. Start{' '}
          <code>atlas-ops worker</code> or <code>atlas-ops serve</code> — the workers of either sample it{' '}
          {everyWords(gate.sample_every_seconds)}.
        </p>
      ) : (
        <p className="muted">{sampled}</p>
      )}
    </div>
  );
}

/** Every indicator: its value against its threshold, and its last hour. */
function Indicators({
  gate,
  samples,
  episodes,
  samplesError,
  onRetry,
}: {
  gate: HealthView;
  samples: HealthSample[] | undefined;
  episodes: HealthEpisode[] | undefined;
  samplesError: Error | null;
  onRetry: () => void;
}) {
  const byName = samplesByIndicator(samples ?? []);
  // The indicators as last sampled, then any the samples name that the sampler no longer reads.
  const names = [...new Set([...gate.indicators.map((reading) => reading.name), ...byName.keys()])];
  const span = chartSpan(samples ?? []);
  if (names.length === 0) {
    return (
      <>
        <h2>Indicators</h2>
        {gate.state === 'stale' && gate.sampled_at === null ? (
          <EmptyState title="No indicators sampled yet">They appear once a worker samples the database.</EmptyState>
        ) : (
          <EmptyState title="No indicators are watched">
            The gate watches PostgreSQL’s own indicators (the oldest transaction of another client, replication lag, lock
            waiters, an anti-wraparound autovacuum) and an optional external check, <code>HEALTH_CHECK_URL</code>. On SQLite
            without <code>HEALTH_CHECK_URL</code> there is none, and the gate never throttles.
          </EmptyState>
        )}
      </>
    );
  }
  return (
    <>
      <h2>Indicators</h2>
      {samplesError ? (
        <ErrorState error={samplesError} onRetry={onRetry} />
      ) : samples !== undefined && samples.length === 0 ? (
        <EmptyState title="No samples in the last hour">The charts appear once a worker has sampled the database.</EmptyState>
      ) : null}
      <div className="indicators">
        {names.map((name) => (
          <Indicator
            key={name}
            name={name}
            reading={gate.indicators.find((reading) => reading.name === name) ?? null}
            samples={byName.get(name) ?? []}
            episodes={episodes ?? []}
            span={span}
          />
        ))}
      </div>
      <Episodes episodes={episodes} asOf={gate.sampled_at} />
    </>
  );
}

/** One indicator's state in a word, backed by its colour. */
function indicatorState(reading: HealthReading | null): { key: string; label: string } {
  if (reading === null) return { key: 'gone', label: 'not sampled now' };
  if (!reading.available) return { key: 'unreadable', label: 'not readable' };
  if (indicatorOff(reading)) return { key: 'off', label: 'off' };
  return reading.over ? { key: 'over', label: 'over' } : { key: 'ok', label: 'ok' };
}

function Indicator({
  name,
  reading,
  samples,
  episodes,
  span,
}: {
  name: string;
  reading: HealthReading | null;
  samples: HealthSample[];
  episodes: HealthEpisode[];
  span: { from: number; to: number } | null;
}) {
  const ids = useId();
  const state = indicatorState(reading);
  const threshold = reading?.threshold ?? samples[samples.length - 1]?.threshold ?? null;
  return (
    <article className={`indicator indicator-${state.key}`} aria-labelledby={`${ids}-name`} data-testid={`indicator-${name}`}>
      <h3 id={`${ids}-name`}>
        {indicatorLabel(name)} <code>{name}</code>
      </h3>
      <p className="indicator-now">
        <span className={`badge badge-indicator-${state.key}`}>{state.label}</span>{' '}
        {reading === null ? (
          'The sampler no longer reads it.'
        ) : !reading.available ? (
          <>
            The service’s database role cannot read it: grant it <code>pg_monitor</code> (
            <code>GRANT pg_monitor TO atlas_ops;</code>, docs/operations.md). It does not gate meanwhile.
          </>
        ) : (
          <>
            Now <strong>{valueWords(reading)}</strong>
            <span className="muted"> · {thresholdPhrase(reading)}</span>
          </>
        )}
      </p>
      {span !== null && samples.length > 0 && (
        <IndicatorChart name={name} samples={samples} threshold={threshold} episodes={episodes} span={span} />
      )}
    </article>
  );
}

/**
 * The indicator's last hour: its samples as a line against its dashed threshold, the throttled
 * episodes shaded. A hand-written SVG like the run page's per-minute chart: its name says what it
 * shows, and the numbers are a table under "Show the numbers".
 */
function IndicatorChart({
  name,
  samples,
  threshold,
  episodes,
  span,
}: {
  name: string;
  samples: HealthSample[];
  threshold: number | null;
  episodes: HealthEpisode[];
  span: { from: number; to: number };
}) {
  const ids = useId();
  const [open, setOpen] = useState(false);
  const chart = indicatorChart({ name, samples, threshold, episodes, span, width: WIDTH, height: HEIGHT });
  const summary = chartSummary(name, samples, threshold, episodes);
  const dots = chart.dots.map((dot) => `M${dot.x} ${dot.y} h0`).join(' ');
  // The external check's own threshold ("failing") says nothing a row's value does not.
  const thresholds = !plainCheckSamples(name, samples);
  return (
    <figure className="health-chart" aria-labelledby={`${ids}-caption`}>
      <figcaption id={`${ids}-caption`}>
        <span className="visually-hidden">{indicatorLabel(name)}, the last hour: </span>
        <span className="muted">{summary}</span>
      </figcaption>
      <div className="health-chart-plot">
        <span className="health-chart-top" aria-hidden="true">
          {chart.topLabel}
        </span>
        <span className="health-chart-bottom" aria-hidden="true">
          {chart.bottomLabel}
        </span>
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`Line chart of ${indicatorLabel(name)}: ${summary}`}
          focusable="false"
        >
          {chart.episodes.map((episode) => (
            <rect
              key={episode.x}
              className={`health-episode${episode.lasting ? ' health-episode-lasting' : ''}`}
              x={episode.x}
              y={0}
              width={episode.width}
              height={HEIGHT}
            />
          ))}
          <line className="health-axis" x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
          {chart.thresholdY !== null && (
            <line className="health-threshold" x1={0} y1={chart.thresholdY} x2={WIDTH} y2={chart.thresholdY} />
          )}
          {chart.line && <path className="health-line" d={chart.line} />}
          {dots && <path className="health-line health-dots" d={dots} />}
        </svg>
        <span className="health-chart-start muted" aria-hidden="true">
          {clockTime(new Date(span.from).toISOString())}
        </span>
        <span className="health-chart-end muted" aria-hidden="true">
          {clockTime(new Date(span.to).toISOString())} UTC
        </span>
      </div>
      <p className="health-legend" aria-hidden="true">
        <span className="legend-value">value</span>
        {chart.thresholdY !== null && <span className="legend-threshold">threshold</span>}
        <span className="legend-episode">throttled</span>
      </p>
      <details onToggle={(event) => setOpen(event.currentTarget.open)}>
        <summary>Show the numbers</summary>
        {open && (
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">{indicatorLabel(name)}: every sample of the last hour (UTC)</caption>
              <thead>
                <tr>
                  <th scope="col">Sampled (UTC)</th>
                  <th scope="col" className="numeric">
                    Value
                  </th>
                  {thresholds && (
                    <th scope="col" className="numeric">
                      Threshold
                    </th>
                  )}
                  <th scope="col">Over</th>
                </tr>
              </thead>
              <tbody>
                {samples.map((sample) => (
                  <tr key={sample.sampled_at}>
                    <td className="nowrap">{clockTime(sample.sampled_at)}</td>
                    <td className="numeric">{valueWords(sample)}</td>
                    {thresholds && <td className="numeric">{thresholdWords(sample)}</td>}
                    <td>{sample.over ? 'over' : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </figure>
  );
}

/**
 * The gate's throttled episodes of the last hour, newest first; one still lasting counts up to the
 * last sample (`asOf`, the server's clock).
 */
function Episodes({ episodes, asOf }: { episodes: HealthEpisode[] | undefined; asOf: string | null }) {
  if (episodes === undefined) return null;
  return (
    <>
      <h2>Throttled episodes, last hour</h2>
      {episodes.length === 0 ? (
        <p className="muted" data-testid="no-episodes">
          None: the gate has not held runs in the last hour.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="episodes-table" data-testid="episodes">
            <caption className="visually-hidden">Throttled episodes, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Started (UTC)</th>
                <th scope="col">Ended (UTC)</th>
                <th scope="col" className="numeric">
                  Lasted
                </th>
                <th scope="col">Closed by</th>
              </tr>
            </thead>
            <tbody>
              {[...episodes].reverse().map((episode) => {
                const lasted = secondsBetween(episode.started_at, episode.ended_at ?? asOf);
                return (
                  <tr key={episode.started_at}>
                    <td className="nowrap" title={formatTimestamp(episode.started_at)}>
                      {clockTime(episode.started_at)}
                    </td>
                    <td className="nowrap">
                      {episode.ended_at === null ? (
                        <span className="badge badge-gate-throttled">lasting</span>
                      ) : (
                        <span title={formatTimestamp(episode.ended_at)}>{clockTime(episode.ended_at)}</span>
                      )}
                    </td>
                    <td className="numeric nowrap">
                      {lasted === null ? '—' : `${formatDuration(lasted)}${episode.ended_at === null ? ' so far' : ''}`}
                    </td>
                    <td>{indicatorLabel(episode.indicator)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
