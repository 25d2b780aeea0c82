import { describe, expect, it } from 'vitest';
import type { FileChange, StepChange } from './api';
import { byFile, viewerView, changeSummary, changeTotals, fileSize, listedSummary, opCounts, runMarks } from './changes';

const step = (over: Partial<StepChange>): StepChange => ({ seq: 3, tool: 'edit', path: 'a.go', source: 'recorded', files: [], ...over });
const listed = (path: string, op: FileChange['op'], bytes = 0): FileChange => ({ path, op, source: 'listed', added: 0, removed: 0, bytes });

describe('changeSummary', () => {
  it.each([
    { name: 'recorded edit', c: step({ files: [{ path: 'a.go', op: 'modified', source: 'recorded', added: 2, removed: 1 }] }), want: '+2 −1' },
    { name: 'new file', c: step({ tool: 'write', source: 'input', files: [{ path: 'a.go', op: 'created', source: 'input', added: 5, removed: 0 }] }), want: 'new · +5 −0' },
    { name: 'untracked command', c: step({ tool: 'exec', path: 'make', source: 'unknown' }), want: 'not recorded' },
    { name: 'command that changed nothing', c: step({ tool: 'exec', path: 'go test', source: 'none' }), want: 'changed nothing' },
    {
      name: 'command with listed files',
      c: step({ tool: 'exec', path: 'make', source: 'listed', files: [listed('a', 'created', 3), listed('b', 'modified', 9), listed('c', 'created'), listed('d', 'deleted')] }),
      want: '2 new · 1 modified · 1 deleted',
    },
    { name: 'command past the cap', c: step({ tool: 'exec', source: 'listed', files: [listed('a', 'modified')], more: 12 }), want: '1 modified · +12 more' },
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

describe('listed files', () => {
  it('opCounts counts by op', () => {
    expect(opCounts({ files: [listed('a', 'deleted'), listed('b', 'deleted'), listed('c', 'created')] })).toEqual({ created: 1, modified: 0, deleted: 2 });
  });

  it('listedSummary of no files is empty', () => {
    expect(listedSummary({ files: [] })).toBe('');
  });

  it.each([
    { name: 'empty new file', f: listed('a', 'created', 0), want: '0 B' },
    { name: 'modified', f: listed('a', 'modified', 2048), want: '2.0 KiB' },
    { name: 'deleted', f: listed('a', 'deleted'), want: '' },
    { name: 'older server without sizes', f: { path: 'a', op: 'modified', source: 'recorded', added: 1, removed: 0 } as FileChange, want: '' },
  ])('fileSize, $name: "$want"', ({ f, want }) => {
    expect(fileSize(f)).toBe(want);
  });
});

describe('runMarks', () => {
  const file = (path: string, op: FileChange['op']): FileChange => ({ path, op, source: 'recorded', added: 0, removed: 0 }) as FileChange;
  it('folds the steps in order: new stays new, a deleted file loses its mark', () => {
    const marks = runMarks([
      { files: [file('a.sh', 'created'), file('old.txt', 'modified')] },
      { files: [file('a.sh', 'modified'), file('tmp.txt', 'created')] },
      { files: [file('tmp.txt', 'deleted'), file('old.txt', 'modified')] },
      { files: [] },
    ]);
    expect(Object.fromEntries(marks)).toEqual({ 'a.sh': 'created', 'old.txt': 'modified' });
  });
});

describe('byFile', () => {
  const edit = (seq: number, path: string, added: number, removed: number, op: FileChange['op'] = 'modified') =>
    step({ seq, path, files: [{ path, op, source: 'recorded', added, removed }] });
  it.each([
    {
      name: 'three edits of one file are one row with their steps',
      list: [edit(4, 'a.py', 1, 1), edit(7, 'b.py', 2, 0), edit(10, 'a.py', 3, 2), edit(13, 'a.py', 0, 1)],
      want: [
        { path: 'a.py', op: 'modified', steps: [4, 10, 13], added: 4, removed: 4 },
        { path: 'b.py', op: 'modified', steps: [7], added: 2, removed: 0 },
      ],
    },
    {
      name: 'a file the run made stays new however often it is edited',
      list: [edit(2, 'new.py', 5, 0, 'created'), edit(5, 'new.py', 1, 1)],
      want: [{ path: 'new.py', op: 'created', steps: [2, 5], added: 6, removed: 1 }],
    },
    {
      name: 'a command deleting a file the run did not make',
      list: [edit(2, 'old.txt', 1, 0), step({ seq: 3, tool: 'exec', source: 'listed', files: [listed('old.txt', 'deleted')] })],
      want: [{ path: 'old.txt', op: 'deleted', steps: [2, 3], added: 1, removed: 0 }],
    },
    {
      name: 'a file made and removed within the run is left out',
      list: [edit(2, 'tmp.txt', 1, 0, 'created'), step({ seq: 3, tool: 'exec', source: 'listed', files: [listed('tmp.txt', 'deleted')] })],
      want: [],
    },
    { name: 'steps with no files give no rows', list: [step({ seq: 3, tool: 'exec', source: 'unknown' })], want: [] },
  ])('$name', ({ list, want }) => {
    expect(byFile(list)).toEqual(want);
  });
});

describe('viewerView', () => {
  it.each([
    { name: 'a modified file opens as its diff', mark: 'modified' as const, chosen: null, want: 'diff' },
    { name: 'a new file opens as its content', mark: 'created' as const, chosen: null, want: 'file' },
    { name: 'a file the run did not change has only content', mark: undefined, chosen: 'diff' as const, want: 'file' },
    { name: 'the person can see a modified file plain', mark: 'modified' as const, chosen: 'file' as const, want: 'file' },
    { name: 'and a new file as a diff', mark: 'created' as const, chosen: 'diff' as const, want: 'diff' },
  ])('$name', ({ mark, chosen, want }) => {
    expect(viewerView(mark, chosen)).toBe(want);
  });
});
