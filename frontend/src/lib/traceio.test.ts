import { describe, expect, it, vi } from 'vitest';
import { MAX_IMPORT_BYTES, buildDownload, hasFiles, importSizeError, importSummary, isImportedSession, readTraceFile } from './traceio';

describe('isImportedSession', () => {
  it.each([
    { name: 'imported origin', s: { origin: 'imported' as const }, want: true },
    { name: 'local origin', s: { origin: 'local' as const }, want: false },
    { name: 'the id does not decide', s: { id: 'imp_1', origin: 'local' as const }, want: false },
    { name: 'no origin yet', s: {}, want: false },
    { name: 'no session', s: undefined, want: false },
  ])('$name -> $want', ({ s, want }) => {
    expect(isImportedSession(s)).toBe(want);
  });
});

describe('importSizeError', () => {
  it('accepts a file up to 256 MiB', () => {
    expect(importSizeError('t.json', 1)).toBeNull();
    expect(importSizeError('t.json', MAX_IMPORT_BYTES)).toBeNull();
  });
  it('rejects a larger file with a clear message', () => {
    expect(importSizeError('big.json', MAX_IMPORT_BYTES + 1)).toMatch(/big\.json is 256\.0 MiB; traces larger than 256 MiB cannot be imported/);
  });
  it('rejects an empty file', () => {
    expect(importSizeError('e.json', 0)).toBe('e.json is empty.');
  });
});

describe('readTraceFile', () => {
  it('does not read a file that is too large', async () => {
    const text = vi.fn(async () => '{}');
    await expect(readTraceFile({ name: 'big.json', size: MAX_IMPORT_BYTES + 1, text })).rejects.toThrow('cannot be imported');
    expect(text).not.toHaveBeenCalled();
  });
  it('reads a file within the limit', async () => {
    await expect(readTraceFile({ name: 'ok.json', size: 2, text: async () => '{}' })).resolves.toBe('{}');
  });
});

describe('buildDownload', () => {
  it('makes a blob of the content with the given type and name', async () => {
    const { blob, filename } = buildDownload({ name: 'run_1.json', type: 'application/json', content: '{"a":1}' });
    expect(filename).toBe('run_1.json');
    expect(blob.type).toBe('application/json');
    expect(await blob.text()).toBe('{"a":1}');
  });
  it('falls back to a generic type and strips path separators from the name', () => {
    const { blob, filename } = buildDownload({ name: '../x/run.html', type: '', content: '<p>' });
    expect(filename).toBe('.._x_run.html');
    expect(blob.type).toBe('application/octet-stream');
  });
});

describe('importSummary and hasFiles', () => {
  it('counts runs', () => {
    expect(importSummary('t.json', { session_id: 's', run_ids: ['imp_1'], format: 'corral' })).toBe('Imported t.json: 1 run (corral).');
    expect(importSummary('t.json', { session_id: 's', run_ids: ['imp_1', 'imp_2'], format: 'corral' })).toBe('Imported t.json: 2 runs (corral).');
  });
  it('only reacts to drags that carry files', () => {
    expect(hasFiles({ types: ['Files'] } as unknown as DataTransfer)).toBe(true);
    expect(hasFiles({ types: ['text/plain'] } as unknown as DataTransfer)).toBe(false);
    expect(hasFiles(null)).toBe(false);
  });
});
