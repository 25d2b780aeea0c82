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
