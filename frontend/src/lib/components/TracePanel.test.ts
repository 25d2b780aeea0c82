import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import { ALL_STEPS } from '../trace/graph';
import { stepOf, type StepRecord } from '../trace/fixtures';
import type { TraceResume } from '../trace/steps';
import TracePanel from './TracePanel.svelte';

const T = '2026-11-23T10:00:00Z';
const at = (ms: number) => new Date(Date.parse(T) + ms).toISOString();

function view(seq: number, kind: StepRecord['kind'], name: string, ms: number): StepRecord {
  return { seq, kind, name, status: 'completed', idempotent: true, attempt: 1, usage: { input_tokens: 0, output_tokens: 0 }, cost_usd: 0, started_at: at(ms), finished_at: at(ms + 50) };
}

const steps = [view(1, 'config', 'run.config', 0), view(2, 'llm', 'model', 100), view(3, 'tool', 'exec', 200), view(4, 'llm', 'model', 900)].map(stepOf);
const resumes: TraceResume[] = [{ afterSeq: 3, at: Date.parse(at(800)), reason: 'interrupted', spanId: 'r1' }];

function panel(props: Partial<{ resumes: TraceResume[]; filter: typeof ALL_STEPS }>) {
  return render(TracePanel, {
    props: { steps, view: 'timeline', live: false, filter: ALL_STEPS, selectedSeq: null, focus: null, onselect: () => {}, onfocus: () => {}, ...props },
  }).body;
}

describe('TracePanel resumes', () => {
  it('lists resumes in the filter bar and marks them on the timeline', () => {
    const body = panel({ resumes });
    expect(body).toContain('data-testid="filter-resume"');
    expect(body).toContain('Resumed');
    expect(body).toContain('data-testid="timeline-resume"');
    expect(body).toContain('resumed (interrupted) after step #3');
  });

  it('has no resume chip or marker for a run never resumed, and hides markers when filtered out', () => {
    const none = panel({});
    expect(none).not.toContain('filter-resume');
    expect(none).not.toContain('timeline-resume');
    const hidden = panel({ resumes, filter: { ...ALL_STEPS, resume: false } });
    expect(hidden).toContain('data-testid="filter-resume"');
    expect(hidden).not.toContain('data-testid="timeline-resume"');
    expect(hidden).toContain('Show all');
  });
});
