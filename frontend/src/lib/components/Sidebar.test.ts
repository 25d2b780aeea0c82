import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import { runFixture, sessionFixture } from '../stores/fixtures';
import { RunsStore } from '../stores/runs.svelte';
import Sidebar from './Sidebar.svelte';

function storeWith(sessions = [sessionFixture({ id: 'ses_a', title: 'Local work' })]): RunsStore {
  const store = new RunsStore(
    {
      sessions: async () => sessions,
      trace: async () => {
        throw new Error('unused');
      },
      startRun: async () => runFixture(),
      resumeRun: async () => {},
      cancelRun: async () => {},
    },
    { set: () => 0, clear: () => {}, now: () => 0 },
  );
  store.sessions = sessions;
  store.loaded = true;
  return store;
}

describe('Sidebar', () => {
  it('lists imported sessions in their own group, badged, after the local ones', () => {
    const store = storeWith([
      sessionFixture({ id: 'imp_b', title: '[imported] Old bug', origin: 'imported', imported_from: 'bug.json' }),
      sessionFixture({ id: 'ses_a', title: 'Local work', origin: 'local' }),
    ]);
    const body = render(Sidebar, { props: { store } }).body;
    const local = body.indexOf('data-session-id="ses_a"');
    const group = body.indexOf('data-testid="imported-group"');
    const imported = body.indexOf('data-session-id="imp_b"');
    expect(local).toBeGreaterThan(-1);
    expect(group).toBeGreaterThan(local);
    expect(imported).toBeGreaterThan(group);
    expect(body.match(/data-testid="session-imported-badge"/g)).toHaveLength(1);
    expect(body).toContain('Imported from bug.json');
    expect(body).toMatch(/data-testid="session-title"[^>]*>Old bug</);
  });

  it('has no imported group without imported sessions, and offers rename and delete', () => {
    const body = render(Sidebar, { props: { store: storeWith() } }).body;
    expect(body).not.toContain('imported-group');
    expect(body).toContain('data-testid="session-rename"');
    expect(body).toContain('data-testid="session-delete"');
  });
});

describe('Sidebar waiting counts', () => {
  it('counts the pending approvals on the waiting run and on its session', () => {
    const waitingRun = runFixture({ id: 'run_w', session_id: 'ses_a', status: 'awaiting_approval' });
    const done = runFixture({ id: 'run_d', session_id: 'ses_a', status: 'completed' });
    const store = storeWith([sessionFixture({ id: 'ses_a', runs: [done, waitingRun] })]);
    const pending = (seq: number) => ({ run_id: 'run_w', seq, request: {} as never });
    const body = render(Sidebar, { props: { store, approvals: { items: [pending(3), pending(6)] } } }).body;
    expect(body).toMatch(/data-testid="waiting-count"[^>]*>2</);
    expect(body).toMatch(/data-testid="session-waiting"[^>]*>2 waiting</);
    const none = render(Sidebar, { props: { store, approvals: { items: [] } } }).body;
    expect(none).not.toContain('waiting-count');
    expect(none).not.toContain('session-waiting');
  });

  it('badges a forked session and says where it came from', () => {
    const store = storeWith([
      sessionFixture({ id: 'ses_f', title: 'Try again', forked_from: { session_id: 'ses_f', workspace: '', from_session: 'ses_a', from_run: 'run_1', at_seq: 4 } }),
      sessionFixture({ id: 'ses_a', title: 'Local work' }),
    ]);
    const body = render(Sidebar, { props: { store } }).body;
    expect(body.match(/data-testid="session-forked-badge"/g)).toHaveLength(1);
    expect(body).toContain('Forked from &quot;Local work&quot; (run run_1, after step #4)');
  });
});
