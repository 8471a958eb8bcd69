import { describe, expect, it } from 'vitest';
import { chunked, csvRows, mergeLookups, parsePastedIds, parseTenantFile, refusedIds, withoutRefused } from './tenantList';

describe('parsePastedIds', () => {
  it('reads one id per line, or ids separated by commas, semicolons, tabs or spaces', () => {
    expect(parsePastedIds('tenant-001\ntenant-002\r\ntenant-003')).toEqual(['tenant-001', 'tenant-002', 'tenant-003']);
    expect(parsePastedIds('tenant-001, tenant-002;tenant-003\ttenant-004  tenant-005')).toEqual([
      'tenant-001',
      'tenant-002',
      'tenant-003',
      'tenant-004',
      'tenant-005',
    ]);
  });

  it('leaves out blanks and repeats, keeping the first place of each id', () => {
    expect(parsePastedIds('\n  b \n\na,\n,b\n a \n')).toEqual(['b', 'a']);
    expect(parsePastedIds('   \n ,, ')).toEqual([]);
  });

  it('drops the quotes a spreadsheet copies around a cell, and a byte-order mark', () => {
    expect(parsePastedIds('\uFEFF"tenant-001"\n"tenant-002"')).toEqual(['tenant-001', 'tenant-002']);
  });

  it('keeps ids as typed: case matters to the server', () => {
    expect(parsePastedIds('Acme-1 acme-1')).toEqual(['Acme-1', 'acme-1']);
  });
});

describe('csvRows', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(csvRows('a,"b, c","say ""hi""","two\nlines"\r\n1,2,3,4')).toEqual([
      ['a', 'b, c', 'say "hi"', 'two\nlines'],
      ['1', '2', '3', '4'],
    ]);
  });

  it('keeps empty fields and ignores a final line break', () => {
    expect(csvRows('a,,c\n')).toEqual([['a', '', 'c']]);
  });
});

describe('parseTenantFile', () => {
  it('takes the external_id column of a CSV with a header, whatever its place and case', () => {
    const csv = 'name,External_ID,workspace\n"Acme, Inc",acme-001,1\nInitech,initech-002,2\n,,\nAcme again,acme-001,1\n';
    expect(parseTenantFile(csv)).toEqual({ ids: ['acme-001', 'initech-002'], column: 'external_id' });
  });

  it('reads a file without that column as one external id per line', () => {
    expect(parseTenantFile('\uFEFFacme-001\r\ninitech-002\n\n  umbrella-003  \nacme-001')).toEqual({
      ids: ['acme-001', 'initech-002', 'umbrella-003'],
      column: null,
    });
  });

  it("reads the console's own CSVs back by their tenant_external_id column", () => {
    const report = 'tenant_id,tenant_external_id,tenant_name,findings_examined\n7,acme-007,"Acme, 7",4\n8,acme-008,Acme 8,2\n';
    expect(parseTenantFile(report)).toEqual({ ids: ['acme-007', 'acme-008'], column: 'tenant_external_id' });
  });

  it('names no tenant from a header alone', () => {
    expect(parseTenantFile('external_id\n')).toEqual({ ids: [], column: 'external_id' });
  });
});

describe('lookups of a long list', () => {
  it('cuts a list into requests of at most the chunk size', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([], 2)).toEqual([]);
  });

  it('joins the answers, and says which ids to fix: not found, then the platform tenant', () => {
    const merged = mergeLookups(
      ['a', 'b', 'platform', 'x', 'y'],
      [
        { found: [{ id: 1 }], missing: ['x'], platform: 'platform' },
        { found: [{ id: 2 }], missing: ['y'], platform: null },
      ],
    );
    expect(merged).toEqual({
      ids: ['a', 'b', 'platform', 'x', 'y'],
      found: [{ id: 1 }, { id: 2 }],
      missing: ['x', 'y'],
      platform: 'platform',
    });
    expect(refusedIds(merged)).toEqual(['x', 'y', 'platform']);
    expect(withoutRefused(merged.ids, merged)).toBe('a\nb');
  });
});
