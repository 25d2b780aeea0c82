import { describe, expect, it, vi } from 'vitest';
import type { EntryView, FileView, WorkspaceEvent } from '../api';
import { WorkspaceStore, type WorkspaceApi } from './workspace.svelte';

const f = (path: string, extra: Partial<EntryView> = {}): EntryView => ({ path, size: 1, mod_time: '', ...extra });
const d = (path: string): EntryView => f(path, { dir: true });

function fakeApi(tree: EntryView[] = [d('src'), f('src/a.ts'), f('b.txt')]) {
  return {
    workspaceTree: vi.fn(async (_id: string) => tree),
    workspaceFile: vi.fn(async (_id: string, path: string): Promise<FileView> => ({ path, size: 3, text: 'abc' })),
    watchWorkspace: vi.fn(async (_id: string) => {}),
    revealWorkspace: vi.fn(async (_id: string) => {}),
  } satisfies WorkspaceApi;
}

const ev = (over: Partial<WorkspaceEvent>): WorkspaceEvent => ({ session_id: 's1', changes: [], mode: 'notify', ...over });

describe('WorkspaceStore', () => {
  it('loads the tree and watches the selected session', async () => {
    const api = fakeApi();
    const s = new WorkspaceStore(api);
    await s.setSession('s1');
    expect(api.watchWorkspace).toHaveBeenCalledWith('s1');
    expect(s.rows.map((r) => r.path)).toEqual(['src', 'b.txt']);
    expect(s.count).toBe(3);
  });

  it('applies changes of its session only, and reloads on rescan', async () => {
    const api = fakeApi();
    const s = new WorkspaceStore(api);
    await s.setSession('s1');
    s.applyEvent(ev({ session_id: 'other', changes: [{ path: 'x', op: 'created', entry: f('x') }] }));
    expect(s.rows.map((r) => r.path)).toEqual(['src', 'b.txt']);
    s.applyEvent(ev({ changes: [{ path: 'c.txt', op: 'created', entry: f('c.txt') }], mode: 'polling', warning: 'watch limit reached' }));
    expect(s.rows.map((r) => r.path)).toEqual(['src', 'b.txt', 'c.txt']);
    expect(s.rows[2].changed).toBe(true);
    expect(s.warning).toBe('watch limit reached');
    expect(s.mode).toBe('polling');
    s.applyEvent(ev({ rescan: true }));
    await vi.waitFor(() => expect(api.workspaceTree).toHaveBeenCalledTimes(2));
  });

  it('expands with the keys and opens a file', async () => {
    const api = fakeApi();
    const s = new WorkspaceStore(api);
    await s.setSession('s1');
    s.key('ArrowDown');
    expect(s.cursor).toBe('src');
    s.key('ArrowRight');
    expect(s.rows.map((r) => r.path)).toEqual(['src', 'src/a.ts', 'b.txt']);
    s.key('ArrowRight');
    expect(s.cursor).toBe('src/a.ts');
    s.key('ArrowLeft');
    expect(s.cursor).toBe('src');
    s.key('ArrowLeft');
    expect(s.rows.map((r) => r.path)).toEqual(['src', 'b.txt']);
    s.activate('b.txt');
    await vi.waitFor(() => expect(s.file?.text).toBe('abc'));
    expect(api.workspaceFile).toHaveBeenCalledWith('s1', 'b.txt');
    s.applyEvent(ev({ changes: [{ path: 'b.txt', op: 'removed', entry: f('b.txt') }] }));
    expect(s.file).toBeNull();
    expect(s.fileError).toMatch(/removed/);
  });

  it('resets on a session change', async () => {
    const s = new WorkspaceStore(fakeApi());
    await s.setSession('s1');
    s.applyEvent(ev({ changes: [{ path: 'b.txt', op: 'modified', entry: f('b.txt') }] }));
    await s.setSession(null);
    expect(s.rows).toEqual([]);
    await s.setSession('s1');
    expect(s.rows.some((r) => r.changed)).toBe(false);
  });
});
