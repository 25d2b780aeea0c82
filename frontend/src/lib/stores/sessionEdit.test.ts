import { describe, expect, it } from 'vitest';
import type { DeleteRequest, SessionView } from '../api';
import { asSessionEvent } from '../events';
import { runFixture, sessionFixture } from './fixtures';
import { RunsStore, type RunsApi } from './runs.svelte';
import { groupMatches, neighbour, removedFrom, renamedIn, searchSessions, sessionTitle, titleProblem } from './sessions';

const three = (): SessionView[] => [
  sessionFixture({ id: 'ses_a', runs: [runFixture({ id: 'run_a', session_id: 'ses_a' })] }),
  sessionFixture({ id: 'ses_b', runs: [runFixture({ id: 'run_b1', session_id: 'ses_b' }), runFixture({ id: 'run_b2', session_id: 'ses_b' })] }),
  sessionFixture({ id: 'imp_c', origin: 'imported', title: '[imported] old bug', runs: [runFixture({ id: 'imp_run_c', session_id: 'imp_c' })] }),
];

describe('session list edits', () => {
  it('renamedIn changes one title and keeps the array when nothing changes', () => {
    const list = three();
    const next = renamedIn(list, 'ses_b', 'Parser fix');
    expect(next.map((s) => s.title)).toEqual([list[0].title, 'Parser fix', list[2].title]);
    expect(next[0]).toBe(list[0]);
    expect(renamedIn(next, 'ses_b', 'Parser fix')).toBe(next);
    expect(renamedIn(list, 'nope', 'x')).toBe(list);
  });

  it('removedFrom drops one session', () => {
    const list = three();
    expect(removedFrom(list, 'ses_a').map((s) => s.id)).toEqual(['ses_b', 'imp_c']);
    expect(removedFrom(list, 'nope')).toBe(list);
  });

  it.each([
    { id: 'ses_a', want: 'ses_b' },
    { id: 'ses_b', want: 'imp_c' },
    { id: 'imp_c', want: 'ses_b' },
    { id: 'nope', want: undefined },
  ])('neighbour of $id is $want', ({ id, want }) => {
    expect(neighbour(three(), id)?.id).toBe(want);
  });

  it('groups imported sessions apart, in order', () => {
    const g = groupMatches(searchSessions(three(), ''));
    expect(g.local.map((m) => m.session.id)).toEqual(['ses_a', 'ses_b']);
    expect(g.imported.map((m) => m.session.id)).toEqual(['imp_c']);
  });

  it('an imported title is shown without the importer mark; a local one as written', () => {
    const [a, , c] = three();
    expect(sessionTitle(c)).toBe('old bug');
    expect(sessionTitle({ ...a, title: '[imported] mine' })).toBe('[imported] mine');
  });

  it.each([
    { title: 'Fix it', want: null },
    { title: '  \n ', want: 'The title is empty.' },
    { title: 'é'.repeat(200), want: null },
    { title: 'é'.repeat(201), want: 'The title is longer than 200 characters.' },
  ])('titleProblem($title)', ({ title, want }) => {
    expect(titleProblem(title)).toBe(want);
  });
});

describe('asSessionEvent', () => {
  it.each([
    { data: { type: 'session.renamed', session_id: 's', title: 'T' }, want: { type: 'session.renamed', session_id: 's', title: 'T', run_ids: [] } },
    { data: { type: 'session.deleted', session_id: 's', run_ids: ['r1', 7] }, want: { type: 'session.deleted', session_id: 's', title: undefined, run_ids: ['r1'] } },
    { data: { type: 'session.renamed', session_id: 's' }, want: null },
    { data: { type: 'session.moved', session_id: 's' }, want: null },
    { data: { type: 'session.deleted' }, want: null },
    { data: 'nope', want: null },
  ])('$data', ({ data, want }) => {
    expect(asSessionEvent(data)).toEqual(want);
  });
});

function setup(sessions = three()) {
  const calls = { rename: [] as [string, string][], del: [] as [string, DeleteRequest][] };
  const fake: RunsApi = {
    sessions: async () => sessions,
    trace: async () => {
      throw new Error('not in this test');
    },
    startRun: async () => {
      throw new Error('not in this test');
    },
    resumeRun: async () => {},
    cancelRun: async () => {},
    renameSession: async (id, title) => {
      calls.rename.push([id, title]);
      if (!title.trim()) throw 'agent: rename session ses_a: the title is empty';
      return title.trim();
    },
    deleteSession: async (id, req) => {
      calls.del.push([id, req]);
      if (id === 'ses_busy') throw 'journal: session ses_busy has a live run: run_x (running); cancel it first';
      return { session_id: id, run_ids: sessions.find((s) => s.id === id)?.runs.map((r) => r.id) ?? [], workspace: '/w', workspace_removed: req.remove_workspace };
    },
  };
  const store = new RunsStore(fake, { set: () => 0, clear: () => {}, now: () => 0 });
  return { store, calls };
}

describe('RunsStore rename and delete', () => {
  it('renames with the stored (trimmed) title, or says why not', async () => {
    const { store, calls } = setup();
    await store.loadSessions();
    expect(await store.renameSession('ses_a', '  Parser ')).toBeNull();
    expect(store.sessions[0].title).toBe('Parser');
    expect(await store.renameSession('ses_a', ' ')).toMatch(/title is empty/);
    expect(store.sessions[0].title).toBe('Parser');
    expect(calls.rename).toEqual([
      ['ses_a', '  Parser '],
      ['ses_a', ' '],
    ]);
  });

  it('deleting the shown session shows its neighbour and forgets its traces', async () => {
    const { store, calls } = setup();
    await store.loadSessions();
    store.select('ses_b', 'run_b2');
    store.ensureTrace('run_b1');
    expect(store.peekTrace('run_b2')).toBeDefined();
    const res = await store.deleteSession('ses_b', { remove_workspace: true });
    expect(res.run_ids).toEqual(['run_b1', 'run_b2']);
    expect(calls.del).toEqual([['ses_b', { remove_workspace: true }]]);
    expect(store.sessions.map((s) => s.id)).toEqual(['ses_a', 'imp_c']);
    expect(store.selectedSessionId).toBe('imp_c');
    expect(store.peekTrace('run_b1')).toBeUndefined();
    expect(store.peekTrace('run_b2')).toBeUndefined();
  });

  it('a refused delete keeps everything and rejects with the reason', async () => {
    const sessions = [...three(), sessionFixture({ id: 'ses_busy' })];
    const { store } = setup(sessions);
    await store.loadSessions();
    store.select('ses_busy');
    await expect(store.deleteSession('ses_busy', { remove_workspace: false })).rejects.toMatch(/cancel it first/);
    expect(store.sessions).toHaveLength(4);
    expect(store.selectedSessionId).toBe('ses_busy');
  });

  it('follows renames and deletes from other windows', async () => {
    const { store } = setup();
    await store.loadSessions();
    store.select('ses_a');
    store.applySessionEvent({ type: 'session.renamed', session_id: 'ses_b', title: 'From the other window' });
    expect(store.sessions[1].title).toBe('From the other window');
    store.applySessionEvent({ type: 'session.deleted', session_id: 'ses_a', run_ids: ['run_a'] });
    expect(store.sessions.map((s) => s.id)).toEqual(['ses_b', 'imp_c']);
    expect(store.selectedSessionId).toBe('ses_b');
    store.applySessionEvent({ type: 'session.deleted', session_id: 'ses_b' });
    store.applySessionEvent({ type: 'session.deleted', session_id: 'imp_c' });
    expect(store.sessions).toEqual([]);
    expect(store.selectedSessionId).toBeNull();
    expect(store.selectedRunId).toBeNull();
  });
});
