import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { TraceStep } from '../trace/steps';
import ToolCard from './ToolCard.svelte';

const running: TraceStep = {
  seq: 4,
  kind: 'tool',
  name: 'exec',
  status: 'started',
  attempt: 1,
  input: { command: 'make test' },
  text: '',
  isError: false,
  cost: 0,
  start: Date.now() - 2500,
  end: null,
  fromHistory: false,
  live: 'compiling\nrunning 3 tests\n',
  liveElapsed: 2400,
};

describe('ToolCard', () => {
  it('shows a running command its live tail and elapsed time', () => {
    const { body } = render(ToolCard, { props: { step: running, runStatus: 'running' } });
    expect(body).toContain('data-testid="tool-live"');
    expect(body).toContain('running 3 tests');
    expect(body).toContain('data-testid="tool-elapsed"');
    expect(body).toContain('aria-label="running"');
  });

  it('lists a running command\'s connections as they happen, then the recorded ones', () => {
    const conn = { time: '2026-12-07T20:00:00Z', method: 'CONNECT', host: 'evil.test', port: 443, allowed: false, reason: 'evil.test:443 is not on the allowlist', bytes_in: 0, bytes_out: 0, duration_ms: 1 };
    const live = render(ToolCard, { props: { step: { ...running, liveEgress: [conn] }, runStatus: 'running', scope: { session: 'ses_1', agent: 'coder' } } }).body;
    expect(live.match(/data-testid="egress-blocked"/g)).toHaveLength(1);
    expect(live).toContain('data-testid="egress-allow-session"');
    const recorded = { ...conn, host: 'ok.test', allowed: true, reason: undefined };
    const done: TraceStep = { ...running, status: 'completed', liveEgress: [conn], output: { content: 'ok', is_error: false, meta: { egress: [recorded] } } };
    const after = render(ToolCard, { props: { step: done, runStatus: 'completed' } }).body;
    expect(after).not.toContain('evil.test');
    expect(after.match(/data-testid="egress-allowed"/g)).toHaveLength(1);
  });

  it('says cancelled, not running, when the run was cancelled while it ran', () => {
    const { body } = render(ToolCard, { props: { step: running, runStatus: 'cancelled' } });
    expect(body).toMatch(/data-testid="tool-stopped"[^>]*>cancelled/);
    expect(body).not.toContain('aria-label="running"');
    expect(body).toContain('running 3 tests');
  });

  it('says cut off when the run was interrupted', () => {
    const { body } = render(ToolCard, { props: { step: running, runStatus: 'interrupted' } });
    expect(body).toMatch(/data-testid="tool-stopped"[^>]*>cut off/);
  });
});
