import { describe, expect, it } from 'vitest';
import type { EntryView, WorkspaceChange } from '../api';
import { TreeModel, scrollToRow, windowRange } from './tree';

const f = (path: string, extra: Partial<EntryView> = {}): EntryView => ({ path, size: 1, mod_time: '2025-01-01T00:00:00Z', ...extra });
const d = (path: string, extra: Partial<EntryView> = {}): EntryView => f(path, { dir: true, size: 0, ...extra });

// Tree order as the backend sends it: names in byte order, each directory followed by its contents.
const ENTRIES = [
  d('.git', { ignored: true }),
  f('README.md'),
  d('src'),
  f('src/main.go'),
  d('src/util'),
  f('src/util/a.go'),
  f('src/util/b.go'),
  f('z.txt'),
];

const paths = (m: TreeModel) => m.rows().map((r) => r.path);

describe('TreeModel rows', () => {
  it('shows the top level collapsed, directories first', () => {
    const m = new TreeModel(ENTRIES);
    expect(paths(m)).toEqual(['.git', 'src', 'README.md', 'z.txt']);
    expect(m.rows().map((r) => r.depth)).toEqual([0, 0, 0, 0]);
  });

  it('shows the contents of expanded directories only', () => {
    const m = new TreeModel(ENTRIES);
    m.setExpanded('src', true);
    expect(paths(m)).toEqual(['.git', 'src', 'src/util', 'src/main.go', 'README.md', 'z.txt']);
    m.setExpanded('src/util', true);
    expect(paths(m)).toEqual(['.git', 'src', 'src/util', 'src/util/a.go', 'src/util/b.go', 'src/main.go', 'README.md', 'z.txt']);
    const a = m.rows().find((r) => r.path === 'src/util/a.go')!;
    expect(a).toMatchObject({ name: 'a.go', depth: 2, expandable: false, expanded: false });
    m.setExpanded('src', false);
    expect(paths(m)).toEqual(['.git', 'src', 'README.md', 'z.txt']);
    // src/util stays expanded underneath, and shows again with src.
    m.setExpanded('src', true);
    expect(paths(m)).toContain('src/util/a.go');
  });

  it('keeps ignored directories collapsed and not expandable', () => {
    const m = new TreeModel(ENTRIES);
    expect(m.setExpanded('.git', true)).toBe(false);
    expect(m.rows()[0]).toMatchObject({ path: '.git', expandable: false, expanded: false });
    expect(m.setExpanded('README.md', true)).toBe(false);
  });

  it('keeps expanded directories across a reload and drops vanished ones', () => {
    const m = new TreeModel(ENTRIES);
    m.setExpanded('src', true);
    m.setExpanded('src/util', true);
    m.load(ENTRIES.filter((e) => !e.path.startsWith('src/util')));
    expect(m.expanded.has('src')).toBe(true);
    expect(m.expanded.has('src/util')).toBe(false);
    expect(paths(m)).toEqual(['.git', 'src', 'src/main.go', 'README.md', 'z.txt']);
  });

  it('shows entries whose parent the listing left out', () => {
    const m = new TreeModel([f('a/b/c.txt')]);
    expect(paths(m)).toEqual(['a']);
    m.setExpanded('a', true);
    m.setExpanded('a/b', true);
    expect(paths(m)).toEqual(['a', 'a/b', 'a/b/c.txt']);
  });
});

describe('TreeModel.apply', () => {
  const ch = (op: WorkspaceChange['op'], entry: EntryView): WorkspaceChange => ({ path: entry.path, op, entry });

  it('inserts a created file in an expanded directory in order and marks it', () => {
    const m = new TreeModel(ENTRIES);
    m.setExpanded('src', true);
    m.apply([ch('created', f('src/lib.go'))]);
    expect(paths(m)).toEqual(['.git', 'src', 'src/util', 'src/lib.go', 'src/main.go', 'README.md', 'z.txt']);
    const rows = m.rows();
    expect(rows.find((r) => r.path === 'src/lib.go')).toMatchObject({ changed: true, depth: 1 });
    expect(rows.find((r) => r.path === 'src')!.changed).toBe(true);
    expect(rows.find((r) => r.path === 'src/main.go')!.changed).toBe(false);
  });

  it('adds a created file in a collapsed directory without showing it', () => {
    const m = new TreeModel(ENTRIES);
    m.apply([ch('created', f('src/util/c.go'))]);
    expect(paths(m)).toEqual(['.git', 'src', 'README.md', 'z.txt']);
    expect(m.entries.has('src/util/c.go')).toBe(true);
    expect(m.rows()[1].changed).toBe(true); // src holds a changed file
    m.setExpanded('src', true);
    m.setExpanded('src/util', true);
    expect(paths(m)).toContain('src/util/c.go');
  });

  it('creates a directory and files in it in one batch', () => {
    const m = new TreeModel(ENTRIES);
    m.apply([ch('created', d('docs')), ch('created', f('docs/x.md'))]);
    m.setExpanded('docs', true);
    expect(paths(m)).toEqual(['.git', 'docs', 'docs/x.md', 'src', 'README.md', 'z.txt']);
  });

  it('removes a directory with its whole subtree and its marks', () => {
    const m = new TreeModel(ENTRIES);
    m.setExpanded('src', true);
    m.setExpanded('src/util', true);
    m.apply([ch('modified', f('src/util/a.go', { size: 9 }))]);
    expect(m.isChanged('src')).toBe(true);
    m.apply([ch('removed', d('src/util'))]);
    expect(paths(m)).toEqual(['.git', 'src', 'src/main.go', 'README.md', 'z.txt']);
    expect(m.entries.has('src/util/a.go')).toBe(false);
    expect(m.expanded.has('src/util')).toBe(false);
    expect(m.isChanged('src')).toBe(false);
    expect(m.isChanged('')).toBe(false);
  });

  it('removes a file', () => {
    const m = new TreeModel(ENTRIES);
    m.apply([ch('removed', f('z.txt'))]);
    expect(paths(m)).toEqual(['.git', 'src', 'README.md']);
    // Removing what is not there is harmless.
    m.apply([ch('removed', f('nope/x'))]);
    expect(paths(m)).toEqual(['.git', 'src', 'README.md']);
  });

  it('updates a modified file in place and marks it', () => {
    const m = new TreeModel(ENTRIES);
    m.apply([ch('modified', f('README.md', { size: 42 }))]);
    const row = m.rows().find((r) => r.path === 'README.md')!;
    expect(row.entry.size).toBe(42);
    expect(row.changed).toBe(true);
    expect(paths(m)).toEqual(['.git', 'src', 'README.md', 'z.txt']);
    m.clearChanges();
    expect(m.rows().some((r) => r.changed)).toBe(false);
  });

  it('replaces a file that became a directory', () => {
    const m = new TreeModel(ENTRIES);
    m.apply([ch('created', d('z.txt'))]);
    expect(m.rows().find((r) => r.path === 'z.txt')).toMatchObject({ expandable: true });
    expect(paths(m)).toEqual(['.git', 'src', 'z.txt', 'README.md']);
  });
});

describe('windowRange', () => {
  it('covers the viewport plus overscan', () => {
    expect(windowRange(0, 100, 20, 1000, 2)).toEqual({ start: 0, end: 7, offset: 0, height: 20000 });
    expect(windowRange(1000, 100, 20, 1000, 2)).toEqual({ start: 48, end: 57, offset: 960, height: 20000 });
  });

  it('handles a partial row at the top', () => {
    const w = windowRange(30, 100, 20, 1000, 0);
    expect(w.start).toBe(1);
    expect(w.end).toBe(7);
    expect(w.offset).toBe(20);
  });

  it('clamps past the end and before the start', () => {
    expect(windowRange(1e9, 100, 20, 1000, 2)).toEqual({ start: 993, end: 1000, offset: 19860, height: 20000 });
    expect(windowRange(-50, 100, 20, 1000, 0).start).toBe(0);
  });

  it('handles fewer rows than fit and no rows', () => {
    expect(windowRange(0, 500, 20, 3)).toEqual({ start: 0, end: 3, offset: 0, height: 60 });
    expect(windowRange(0, 500, 20, 0)).toEqual({ start: 0, end: 0, offset: 0, height: 0 });
  });

  it('scrollToRow brings a row into view', () => {
    expect(scrollToRow(4, 0, 100, 20)).toBeNull();
    expect(scrollToRow(5, 200, 100, 20)).toBe(100);
    expect(scrollToRow(10, 0, 100, 20)).toBe(120);
  });
});

describe('performance', () => {
  it('builds and lists 100,000 entries (its speed: tree.bench.ts)', () => {
    const entries: EntryView[] = [];
    for (let a = 0; a < 100; a++) {
      entries.push(d(`dir${a}`));
      for (let b = 0; b < 10; b++) {
        entries.push(d(`dir${a}/sub${b}`));
        for (let c = 0; c < 98; c++) entries.push(f(`dir${a}/sub${b}/file${c}.ts`));
      }
    }
    expect(entries.length).toBe(99_100);
    const m = new TreeModel(entries);
    for (const e of entries) if (e.dir) m.expanded.add(e.path);
    const rows = m.rows();
    m.apply([{ path: 'dir5/sub5/new.ts', op: 'created', entry: f('dir5/sub5/new.ts') }]);
    const rows2 = m.rows();
    expect(rows.length).toBe(99_100);
    expect(rows2.length).toBe(99_101);
    // A correctness check at scale, not a timing: a loaded CI machine gets 60 s, not 5.
  }, 60_000);
});

describe('TreeModel run marks', () => {
  it('marks the files a run created or modified, and the directories holding them', () => {
    const m = new TreeModel(ENTRIES);
    m.setRunMarks(
      new Map([
        ['src/util/a.go', 'modified'],
        ['z.txt', 'created'],
      ]),
    );
    m.setExpanded('src', true);
    m.setExpanded('src/util', true);
    const run = Object.fromEntries(m.rows().map((r) => [r.path, r.run ?? '']));
    expect(run).toMatchObject({ src: 'dir', 'src/util': 'dir', 'src/util/a.go': 'modified', 'src/util/b.go': '', 'src/main.go': '', 'z.txt': 'created', 'README.md': '' });
    m.setRunMarks(new Map());
    expect(m.rows().some((r) => r.run)).toBe(false);
  });
});
