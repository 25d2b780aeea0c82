import { describe, expect, it } from 'vitest';
import type { StepChange } from './api';
import { changeSummary, changeTotals } from './changes';

const step = (over: Partial<StepChange>): StepChange => ({ seq: 3, tool: 'edit', path: 'a.go', source: 'recorded', files: [], ...over });

describe('changeSummary', () => {
  it.each([
    { name: 'recorded edit', c: step({ files: [{ path: 'a.go', op: 'modified', source: 'recorded', added: 2, removed: 1 }] }), want: '+2 −1' },
    { name: 'new file', c: step({ tool: 'write', source: 'input', files: [{ path: 'a.go', op: 'created', source: 'input', added: 5, removed: 0 }] }), want: 'new · +5 −0' },
    { name: 'command', c: step({ tool: 'exec', path: 'make', source: 'unknown' }), want: 'not recorded' },
    { name: 'cut off write', c: step({ tool: 'write', source: 'unknown' }), want: 'not known' },
    { name: 'failed edit', c: step({ source: 'none' }), want: 'changed nothing' },
  ])('$name: $want', ({ c, want }) => {
    expect(changeSummary(c)).toBe(want);
  });

  it('changeTotals sums every file', () => {
    const files = [
      { path: 'a', op: 'modified' as const, source: 'recorded' as const, added: 1, removed: 2 },
      { path: 'b', op: 'created' as const, source: 'input' as const, added: 3, removed: 0 },
    ];
    expect(changeTotals({ files })).toEqual({ added: 4, removed: 2 });
  });
});
