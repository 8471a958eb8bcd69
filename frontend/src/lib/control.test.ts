import { describe, expect, it } from 'vitest';
import {
  EMPTY_OPTIONS,
  budgetWords,
  canaryExternalIds,
  canaryProblems,
  canaryTenantIds,
  capWords,
  checkOptions,
  driftGuardWords,
  hasOptions,
  inFlightSentence,
  optionsToSend,
  mayPause,
  mayResume,
  nextWave,
  pauseHeadline,
  pauseNextStep,
  runActionBody,
  takesStages,
  waitingSentence,
  wavesWords,
} from './control';

const ADA = { id: 1, username: 'ada' };
const BOTH = { canResume: true, canCancel: true };

describe('pause words (docs/spec.md §13)', () => {
  it('says why, per reason, with the operator or the wave', () => {
    expect(pauseHeadline({ reason: 'operator', by: ADA }, null)).toBe('Paused by ada.');
    expect(pauseHeadline({ reason: 'operator', by: null }, null)).toBe('Paused by an operator.');
    expect(pauseHeadline({ reason: 'failure_budget', by: null }, null)).toBe(
      'Paused by the run itself: more tenants failed than its failure budget allows.',
    );
    expect(pauseHeadline({ reason: 'wave_gate', by: null }, { current: 1, of: 3 })).toBe(
      'Paused by the run itself after wave 1 of 3, for you to check it.',
    );
  });

  it('says what to do next, offering only what the operator may do', () => {
    const wave = { current: 1, of: 3 };
    const gate = { reason: 'wave_gate' as const, by: null, text: null, since: '' };
    expect(pauseNextStep({ pause: gate, wave }, BOTH)).toBe(
      'Check the tenants processed so far, then resume to continue with wave 2 of 3, or cancel the run.',
    );
    const budget = { ...gate, reason: 'failure_budget' as const };
    expect(pauseNextStep({ pause: budget, wave: null }, BOTH)).toBe(
      'Look at the failed tenants, then resume to continue, or cancel the run. A resume counts the failure budget afresh.',
    );
    expect(pauseNextStep({ pause: budget, wave: null }, { canResume: false, canCancel: true })).toBe(
      'Look at the failed tenants, then cancel the run if it should not go on. Only an operator who may control runs can resume it.',
    );
    const operator = { ...gate, reason: 'operator' as const, by: ADA };
    expect(pauseNextStep({ pause: operator, wave: null }, BOTH)).toBe('Resume to continue, or cancel the run.');
    expect(pauseNextStep({ pause: operator, wave: null }, { canResume: false, canCancel: false })).toBe(
      'An operator who may control runs can resume to continue, or cancel it.',
    );
  });

  it('names the next wave, and none after the last', () => {
    expect(nextWave({ current: 2, of: 3 })).toBe('wave 3 of 3');
    expect(nextWave({ current: 3, of: 3 })).toBeNull();
    expect(nextWave(null)).toBeNull();
  });

  it('mentions the tenants still finishing', () => {
    expect(inFlightSentence(0)).toBeNull();
    expect(inFlightSentence(1)).toBe('1 tenant already running will finish; no other tenant starts until the run is resumed.');
    expect(inFlightSentence(2)).toBe('2 tenants already running will finish; no other tenant starts until the run is resumed.');
  });

  it('pauses queued and running runs, resumes paused ones, and neither while cancelling', () => {
    expect(mayPause({ status: 'queued', cancel_reason: null })).toBe(true);
    expect(mayPause({ status: 'running', cancel_reason: null })).toBe(true);
    expect(mayPause({ status: 'running', cancel_reason: 'stop it now please' })).toBe(false);
    expect(mayPause({ status: 'paused', cancel_reason: null })).toBe(false);
    expect(mayResume({ status: 'paused', cancel_reason: null })).toBe(true);
    expect(mayResume({ status: 'paused', cancel_reason: 'stop it now please' })).toBe(false);
    expect(mayResume({ status: 'completed', cancel_reason: null })).toBe(false);
  });
});

describe('waitingSentence', () => {
  it('says why unstarted tenants wait, leaving pauses to the banner', () => {
    expect(waitingSentence({ reason: 'workers', jobs_ahead: 12 }, 0)).toBe(
      'Waiting for a free worker (12 jobs of other runs ahead)',
    );
    expect(waitingSentence({ reason: 'workers', jobs_ahead: 1 }, 0)).toBe(
      'Waiting for a free worker (1 job of other runs ahead)',
    );
    expect(waitingSentence({ reason: 'workers', jobs_ahead: 0 }, 0)).toBe('Waiting for a free worker');
    expect(waitingSentence({ reason: 'capped', jobs_ahead: null }, 4)).toBe('At its concurrency cap (4 running)');
    expect(waitingSentence({ reason: 'throttled', jobs_ahead: null }, 0)).toBe(
      'Held by the database health gate: no tenant starts until the database is healthy again',
    );
    expect(waitingSentence({ reason: 'paused', jobs_ahead: null }, 0)).toBeNull();
    expect(waitingSentence({ reason: 'wave_gate', jobs_ahead: null }, 0)).toBeNull();
    expect(waitingSentence(null, 0)).toBeNull();
  });
});

describe('options in words', () => {
  it('summarises cap, budget and waves', () => {
    expect(capWords(null)).toBe('No limit');
    expect(capWords(4)).toBe('At most 4 tenants at a time');
    expect(budgetWords(null)).toBe('None');
    expect(budgetWords({ max_failed: 0 })).toBe('Pauses at the first failed tenant');
    expect(budgetWords({ max_failed: 2 })).toBe('Pauses when more than 2 tenants have failed');
    expect(wavesWords(null)).toBe('None');
    expect(wavesWords([5, 50])).toBe('First 5, then up to 50, then the rest (3 waves)');
  });
});

describe('checkOptions (the server rules, docs/spec.md §13)', () => {
  const ten = { tenantsInScope: 10, stages: true };

  it('sends nothing when nothing is set, and only what is set', () => {
    expect(checkOptions(EMPTY_OPTIONS, ten)).toEqual({ errors: {}, options: null });
    expect(checkOptions({ ...EMPTY_OPTIONS, maxConcurrency: ' 4 ' }, ten)).toEqual({
      errors: {},
      options: { max_concurrency: 4 },
    });
    expect(checkOptions({ ...EMPTY_OPTIONS, maxFailed: '0', waves: '3, 9' }, ten)).toEqual({
      errors: {},
      options: { failure_budget: { max_failed: 0 }, waves: [3, 9] },
    });
  });

  it('keeps the cap within 1–256', () => {
    for (const bad of ['0', '257', '-1', '2.5', 'four']) {
      expect(checkOptions({ ...EMPTY_OPTIONS, maxConcurrency: bad }, ten).errors.maxConcurrency).toBe(
        'Give a whole number from 1 to 256, or leave it empty for no limit.',
      );
    }
    expect(checkOptions({ ...EMPTY_OPTIONS, maxConcurrency: '256' }, ten).errors).toEqual({});
  });

  it('takes a budget of 0 or more', () => {
    expect(checkOptions({ ...EMPTY_OPTIONS, maxFailed: '-1' }, ten).errors.maxFailed).toMatch(/0 or more/);
    expect(checkOptions({ ...EMPTY_OPTIONS, maxFailed: '0' }, ten).errors).toEqual({});
  });

  it('wants waves strictly increasing, above 0 and below the tenants in scope', () => {
    const waves = (text: string) => checkOptions({ ...EMPTY_OPTIONS, waves: text }, ten).errors.waves;
    expect(waves('3, 3')).toMatch(/larger than the one before/);
    expect(waves('5, 2')).toMatch(/larger than the one before/);
    expect(waves('0')).toMatch(/above 0/);
    expect(waves('10')).toBe('Each number must be below the 10 tenants in scope (the last wave is the rest).');
    expect(waves('5, x')).toMatch(/whole numbers/);
    expect(waves('3 9')).toBeUndefined();
  });

  it('names a canary tenant given twice, and more canaries than tenants', () => {
    expect(checkOptions({ ...EMPTY_OPTIONS, canary: 'a, b, a' }, ten).errors.canary).toBe('a is named twice.');
    expect(
      checkOptions({ ...EMPTY_OPTIONS, canary: 'a b c' }, { tenantsInScope: 2, stages: true }).errors.canary,
    ).toBe('More canary tenants than the 2 tenants in scope.');
  });

  it('leaves waves and canaries out of a one-tenant scope', () => {
    expect(takesStages({ kind: 'tenant' }, 1)).toBe(false);
    expect(takesStages({ kind: 'tenants' }, 1)).toBe(false);
    expect(takesStages({ kind: 'all_tenants' }, 25)).toBe(true);
    expect(checkOptions({ ...EMPTY_OPTIONS, waves: '0', canary: 'a a' }, { tenantsInScope: 1, stages: false })).toEqual({
      errors: {},
      options: null,
    });
  });
});

describe('the drift guard (docs/spec.md §15)', () => {
  it('is sent only when turned off: on is the API\'s default, so the key is left out', () => {
    expect(optionsToSend(null, true)).toBeNull();
    expect(optionsToSend(null, false)).toEqual({ drift_guard: false });
    expect(optionsToSend({ max_concurrency: 4 }, true)).toEqual({ max_concurrency: 4 });
    expect(optionsToSend({ max_concurrency: 4 }, false)).toEqual({ max_concurrency: 4, drift_guard: false });
    expect(optionsToSend({ max_concurrency: 4 }, true)).not.toHaveProperty('drift_guard');
  });

  it('counts as an option once off, and reads on unless the run turned it off', () => {
    expect(hasOptions({ drift_guard: false })).toBe(true);
    expect(hasOptions({ drift_guard: true })).toBe(false);
    expect(hasOptions({ max_concurrency: null })).toBe(false);
    expect(driftGuardWords(undefined)).toMatch(/^On: /);
    expect(driftGuardWords(null)).toMatch(/^On: /);
    expect(driftGuardWords(false)).toMatch(/^Off \(turned off at the start\)/);
  });
});

describe('canary tenants', () => {
  const found = [
    { id: 7, external_id: 'tenant-007', workspace_id: 1 },
    { id: 3, external_id: 'tenant-003', workspace_id: 2 },
  ];

  it('reads external ids in order, repeats kept for the check', () => {
    expect(canaryExternalIds('tenant-007,\n"tenant-003" tenant-007')).toEqual(['tenant-007', 'tenant-003', 'tenant-007']);
  });

  it('sends the ids in the order given', () => {
    expect(canaryTenantIds(['tenant-003', 'tenant-007'], found)).toEqual([3, 7]);
  });

  it('refuses ids that name no tenant, the platform tenant, and tenants outside the scope', () => {
    expect(
      canaryProblems(['tenant-007', 'nope', 'platform'], { found, missing: ['nope'], platform: 'platform' }, { kind: 'all_tenants' }),
    ).toBe('Not a tenant a runbook can target: nope, platform.');
    const lookup = { found, missing: [], platform: null };
    expect(canaryProblems(['tenant-007', 'tenant-003'], lookup, { kind: 'all_tenants' })).toBeNull();
    expect(canaryProblems(['tenant-007', 'tenant-003'], lookup, { kind: 'workspace', workspace_id: 1 })).toBe(
      "Not in this run's scope: tenant-003. Canary tenants must be among the tenants the run covers.",
    );
    expect(canaryProblems(['tenant-007'], lookup, { kind: 'tenants', tenant_ids: [7, 8] })).toBeNull();
    expect(canaryProblems(['tenant-003'], lookup, { kind: 'tenants', external_ids: ['tenant-007'] })).toMatch(
      /^Not in this run's scope: tenant-003\./,
    );
  });
});

describe('runActionBody', () => {
  it('sends {reason}, trimmed, as the server reads it (not the contract\'s {code, text})', () => {
    expect(runActionBody('  Wave 1 looks fine to me  ')).toEqual({ reason: 'Wave 1 looks fine to me' });
  });
});
