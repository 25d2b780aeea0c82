import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events';
import { runFixture, sessionFixture } from './fixtures';
import { applyRunEvents, latestRun, searchSessions, sessionTitle, upsertRun } from './sessions';

const ev = (type: RunEvent['type'], over: Partial<RunEvent> = {}): RunEvent => ({ type, run_id: 'run_1', time: '2026-11-23T10:05:00Z', ...over });

const two = () => [
  sessionFixture({ id: 'ses_a', updated_at: '2026-11-23T10:02:00Z', runs: [runFixture({ id: 'run_a', session_id: 'ses_a', prompt: 'fix the flaky test' })] }),
  sessionFixture({ id: 'ses_b', title: '', updated_at: '2026-11-23T10:01:00Z', runs: [runFixture({ id: 'run_b', session_id: 'ses_b', prompt: 'Add a README', status: 'running' })] }),
];

describe('applyRunEvents', () => {
  it('updates the run status and moves its session to the top', () => {
    const before = two();
    const got = applyRunEvents(before, [ev('run.completed', { run_id: 'run_b', status: 'completed' })]);
    expect(got.changed).toBe(true);
    expect(got.sessions.map((s) => s.id)).toEqual(['ses_b', 'ses_a']);
    expect(got.sessions[0].runs[0].status).toBe('completed');
    expect(got.sessions[0].updated_at).toBe('2026-11-23T10:05:00Z');
    expect(got.sessions[1]).toBe(before[0]); // untouched sessions keep their object
    expect(before[1].runs[0].status).toBe('running'); // the input is not changed
  });

  it('infers the status of run.* events that carry none, and records failures', () => {
    const got = applyRunEvents(two(), [ev('run.failed', { run_id: 'run_a', error: 'model: 401' })]);
    expect(got.sessions[0].runs[0]).toMatchObject({ status: 'failed', error: 'model: 401' });
    const again = applyRunEvents(got.sessions, [ev('run.resumed', { run_id: 'run_a' })]);
    expect(again.sessions[0].runs[0]).toMatchObject({ status: 'running', error: undefined });
  });

  it('counts steps and adds the usage and cost of model calls that ran', () => {
    const got = applyRunEvents(two(), [
      ev('model.started', { run_id: 'run_b', seq: 7 }),
      ev('model.finished', { run_id: 'run_b', seq: 7, usage: { input_tokens: 10, output_tokens: 5 }, cost_usd: 0.02 }),
      ev('model.finished', { run_id: 'run_b', seq: 5, replayed: true, usage: { input_tokens: 999, output_tokens: 999 }, cost_usd: 9 }),
    ]);
    const run = got.sessions.find((s) => s.id === 'ses_b')!.runs[0];
    expect(run.steps).toBe(7);
    expect(run.usage).toMatchObject({ input_tokens: 110, output_tokens: 55 });
    expect(run.cost_usd).toBeCloseTo(0.03);
  });

  it('reports runs it does not know, and leaves the list alone for deltas that change nothing', () => {
    const before = two();
    const got = applyRunEvents(before, [ev('run.started', { run_id: 'run_new', session_id: 'ses_new' }), ev('text.delta', { run_id: 'run_a', seq: 1, text: 'x' })]);
    expect(got.unknown).toEqual(['run_new']);
    expect(got.changed).toBe(false);
    expect(got.sessions).toBe(before);
  });
});

describe('upsertRun', () => {
  it('adds a follow-up run to its session and puts the session first', () => {
    const got = upsertRun(two(), runFixture({ id: 'run_c', session_id: 'ses_b', updated_at: '2026-11-23T11:00:00Z' }));
    expect(got.map((s) => s.id)).toEqual(['ses_b', 'ses_a']);
    expect(got[0].runs.map((r) => r.id)).toEqual(['run_b', 'run_c']);
  });

  it('creates the session of a run in a new session', () => {
    const got = upsertRun(two(), runFixture({ id: 'run_n', session_id: 'ses_n' }));
    expect(got[0]).toMatchObject({ id: 'ses_n', runs: [{ id: 'run_n' }] });
    expect(sessionTitle(got[0])).toBe('write a word count script');
  });
});

describe('searchSessions', () => {
  it.each([
    { q: '', want: ['ses_a:run_a', 'ses_b:run_b'] },
    { q: 'readme', want: ['ses_b:run_b'] },
    { q: 'FLAKY test', want: ['ses_a:run_a'] },
    { q: 'flaky readme', want: [] },
    { q: 'word count', want: ['ses_a:run_a'] }, // the session title matches: all its runs
  ])('"$q"', ({ q, want }) => {
    const got = searchSessions(two(), q).flatMap((m) => m.runs.map((r) => `${m.session.id}:${r.id}`));
    expect(got).toEqual(want);
  });
});

describe('sessionTitle and latestRun', () => {
  it('falls back to the first prompt', () => {
    expect(sessionTitle(two()[1])).toBe('Add a README');
    expect(sessionTitle(sessionFixture({ title: '', runs: [] }))).toBe('Untitled session');
    expect(latestRun(sessionFixture({ runs: [runFixture({ id: 'x' }), runFixture({ id: 'y' })] }))?.id).toBe('y');
  });
});
