import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { Trace } from '../api';
import { stepsFromTrace } from '../trace/steps';
import hello from '../trace/testdata/hello.trace.json';
import StepInspector from './StepInspector.svelte';

const noop = () => {};
const steps = stepsFromTrace(hello as unknown as Trace);

describe('StepInspector on a trace the backend built', () => {
  it('shows the model call an exec answered and the command it ran', () => {
    const exec = steps.find((s) => s.seq === 7)!;
    const { body } = render(StepInspector, { props: { step: exec, steps, onselect: noop, onclose: noop } });
    expect(body).toMatch(/data-testid="inspector-requested-by"[^>]*>#5 model call/);
    expect(body).toMatch(/data-testid="inspector-command"[^>]*>\s*exit 3/);
    expect(body).toContain('local sandbox');
  });

  it('says when the run was resumed after the step', () => {
    const exec = steps.find((s) => s.seq === 7)!;
    const resumes = [{ afterSeq: 7, at: Date.parse('2026-11-23T10:00:05Z'), reason: 'interrupted', spanId: 'r1' }];
    const { body } = render(StepInspector, { props: { step: exec, steps, resumes, onselect: noop, onclose: noop } });
    expect(body).toMatch(/data-testid="inspector-resume"[^>]*>the run stopped \(interrupted\) and was resumed/);
    const other = render(StepInspector, { props: { step: steps[1], steps, resumes, onselect: noop, onclose: noop } }).body;
    expect(other).not.toContain('inspector-resume');
  });

  it('shows neither for a model call', () => {
    const model = steps.find((s) => s.seq === 2)!;
    const { body } = render(StepInspector, { props: { step: model, steps, onselect: noop, onclose: noop } });
    expect(body).not.toContain('inspector-requested-by');
    expect(body).not.toContain('inspector-command');
  });

  it('offers restore and fork from a step that changed files, when it knows the run', () => {
    const exec = steps.find((s) => s.seq === 7)!;
    const withRun = render(StepInspector, { props: { step: exec, steps, runId: 'run_1', onselect: noop, onclose: noop } }).body;
    expect(withRun).toContain('data-testid="inspector-restore"');
    expect(withRun).toContain('Restore to here');
    const model = steps.find((s) => s.seq === 2)!;
    const modelBody = render(StepInspector, { props: { step: model, steps, runId: 'run_1', onselect: noop, onclose: noop } }).body;
    expect(modelBody).not.toContain('inspector-restore');
    expect(modelBody).toContain('data-testid="inspector-fork"');
    const noRun = render(StepInspector, { props: { step: exec, steps, onselect: noop, onclose: noop } }).body;
    expect(noRun).not.toContain('inspector-restore');
    expect(noRun).not.toContain('inspector-fork');
  });

  it('says when the workspace was restored to the step', () => {
    const exec = steps.find((s) => s.seq === 7)!;
    const restores = [{ seq: 7, phase: 'before', changed: 3, at: Date.parse('2026-11-23T10:00:09Z'), spanId: 'x1' }];
    const { body } = render(StepInspector, { props: { step: exec, steps, restores, onselect: noop, onclose: noop } });
    expect(body).toMatch(/data-testid="inspector-restored"[^>]*>the workspace was put back to before this step \(3 paths\)/);
    const other = render(StepInspector, { props: { step: steps[1], steps, restores, onselect: noop, onclose: noop } }).body;
    expect(other).not.toContain('inspector-restored');
  });
});
