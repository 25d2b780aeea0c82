import { describe, expect, it } from 'vitest';
import { SPLIT_MIN_WIDTH, diffLayout, splitRows, unifiedRows, type SplitRow } from './diffrows';
import { loadLanguage } from './highlight';

const DIFF = ['--- a/x.go', '+++ b/x.go', '@@ -3,4 +3,5 @@', ' func main() {', '-\tx := 1', '-\ty := 2', '+\tx := 10', '+\ty := 20', '+\tz := 30', ' }', '\\ No newline at end of file'].join('\n');

const text = (c: { tokens: { text: string }[] } | null) => (c ? c.tokens.map((t) => t.text).join('') : null);

describe('unifiedRows', () => {
  it('numbers old and new lines from the hunk header', () => {
    const rows = unifiedRows(DIFF, 'go');
    expect(rows.filter((r) => r.kind !== 'file' && r.kind !== 'hunk').map((r) => [r.kind, r.old, r.new])).toEqual([
      ['ctx', 3, 3],
      ['del', 4, null],
      ['del', 5, null],
      ['add', null, 4],
      ['add', null, 5],
      ['add', null, 6],
      ['ctx', 6, 7],
      ['note', null, null],
    ]);
  });

  it('leaves a bare -/+ listing (no hunk header) unnumbered', () => {
    expect(unifiedRows('-a\n+b', null).map((r) => [r.kind, r.old, r.new])).toEqual([
      ['del', null, null],
      ['add', null, null],
    ]);
  });

  it('highlights the code without the +/- prefix', async () => {
    await loadLanguage('go');
    const first = unifiedRows('@@ -1 +1 @@\n+func f() {}', 'go')[1];
    expect(text(first)).toBe('func f() {}');
    expect(first.tokens[0]).toEqual({ kind: 'kw', text: 'func' });
  });
});

describe('splitRows', () => {
  it('puts removed lines beside the added lines that replaced them', () => {
    const rows = splitRows(DIFF, null).filter((r): r is Extract<SplitRow, { kind: 'pair' }> => r.kind === 'pair');
    expect(rows.map((r) => [r.left?.n ?? null, text(r.left), r.right?.n ?? null, text(r.right)])).toEqual([
      [3, 'func main() {', 3, 'func main() {'],
      [4, '\tx := 1', 4, '\tx := 10'],
      [5, '\ty := 2', 5, '\ty := 20'],
      [null, null, 6, '\tz := 30'],
      [6, '}', 7, '}'],
    ]);
  });

  it('keeps hunk headers as rows and starts a new change after additions', () => {
    const rows = splitRows('@@ -1,2 +1,2 @@\n+a\n-b\n+c', null);
    expect(rows[0]).toEqual({ kind: 'hunk', text: '@@ -1,2 +1,2 @@' });
    expect(rows.slice(1).map((r) => (r.kind === 'pair' ? [text(r.left), text(r.right)] : r.kind))).toEqual([
      [null, 'a'],
      ['b', 'c'],
    ]);
  });
});

describe('diffLayout', () => {
  it.each([
    { name: 'unified stays unified anywhere', chosen: 'unified' as const, width: 1400, want: 'unified' },
    { name: 'side by side where there is room', chosen: 'split' as const, width: SPLIT_MIN_WIDTH, want: 'split' },
    { name: 'the 340 px inspector falls back to unified', chosen: 'split' as const, width: 340, want: 'unified' },
    { name: 'the 300 px workspace panel too', chosen: 'split' as const, width: 300, want: 'unified' },
    { name: 'not measured yet keeps the choice', chosen: 'split' as const, width: 0, want: 'split' },
  ])('$name', ({ chosen, width, want }) => {
    expect(diffLayout(chosen, width)).toBe(want);
  });
});
