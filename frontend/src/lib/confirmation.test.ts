import { describe, expect, it } from 'vitest';
import { phraseMatches } from './confirmation';

describe('phraseMatches', () => {
  const expected = 'REBUILD 1000 TENANTS';

  it('accepts the exact phrase', () => {
    expect(phraseMatches('REBUILD 1000 TENANTS', expected)).toBe(true);
  });

  it('is case-sensitive', () => {
    expect(phraseMatches('rebuild 1000 tenants', expected)).toBe(false);
    expect(phraseMatches('Rebuild 1000 Tenants', expected)).toBe(false);
  });

  it('does not trim or fold whitespace', () => {
    expect(phraseMatches(' REBUILD 1000 TENANTS', expected)).toBe(false);
    expect(phraseMatches('REBUILD 1000 TENANTS ', expected)).toBe(false);
    expect(phraseMatches('REBUILD  1000 TENANTS', expected)).toBe(false);
  });

  it('rejects partial input and a different tenant count', () => {
    expect(phraseMatches('', expected)).toBe(false);
    expect(phraseMatches('REBUILD 1000', expected)).toBe(false);
    expect(phraseMatches('REBUILD 999 TENANTS', expected)).toBe(false);
  });

  it('never matches an empty expected phrase', () => {
    expect(phraseMatches('', '')).toBe(false);
  });
});
