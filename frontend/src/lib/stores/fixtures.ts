// Sessions and runs shaped like Runs.Sessions answers. Used only by tests.

import type { RunView, SessionView } from '../api';

/** runFixture returns a completed run, with fields overridden by over. */
export function runFixture(over: Partial<RunView> = {}): RunView {
  return {
    id: 'run_1',
    session_id: 'ses_1',
    agent: 'coder',
    prompt: 'write a word count script',
    status: 'completed',
    workspace: '/data/workspaces/ses_1',
    sandbox: 'local',
    steps: 3,
    usage: { input_tokens: 100, output_tokens: 50 },
    cost_usd: 0.01,
    created_at: '2026-11-23T10:00:00Z',
    updated_at: '2026-11-23T10:01:00Z',
    ...over,
  };
}

/** sessionFixture returns a session holding runs (one completed run by default). */
export function sessionFixture(over: Partial<SessionView> = {}): SessionView {
  const id = over.id ?? 'ses_1';
  return {
    id,
    title: 'write a word count script',
    workspace: `/data/workspaces/${id}`,
    created_at: '2026-11-23T10:00:00Z',
    updated_at: '2026-11-23T10:01:00Z',
    runs: [runFixture({ session_id: id })],
    ...over,
  };
}
