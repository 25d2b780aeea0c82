import { describe, expect, it } from 'vitest';
import type { StepView } from '../api';
import type { RunEvent } from '../events';
import { StepList, isErrorStep, responseText, stepFromView } from './steps';
import { RunTrace } from './trace.svelte';

const T = '2026-11-23T10:00:00Z';
const at = (ms: number) => new Date(Date.parse(T) + ms).toISOString();
const ev = (type: RunEvent['type'], over: Partial<RunEvent> = {}): RunEvent => ({ type, run_id: 'run_1', time: at(0), ...over });

const llmView = (seq: number, text: string, over: Partial<StepView> = {}): StepView => ({
  seq,
  name: 'model',
  kind: 'llm',
  status: 'completed',
  idempotent: true,
  attempt: 1,
  input: { model: 'm', messages: 3, tools: 6, max_tokens: 100 },
  output: { content: [{ type: 'text', text }, { type: 'tool_use', id: 't1', name: 'exec', input: { command: 'ls' } }], stop_reason: 'tool_use', usage: { input_tokens: 5, output_tokens: 7 }, model: 'm', id: 'x' },
  usage: { input_tokens: 5, output_tokens: 7 },
  cost_usd: 0.01,
  started_at: at(0),
  finished_at: at(500),
  ...over,
});

describe('stepFromView', () => {
  it('reads the text and tool calls of a model step', () => {
    const s = stepFromView(llmView(2, 'Hello'));
    expect(s.text).toBe('Hello');
    expect(s.calls?.map((c) => c.name)).toEqual(['exec']);
    expect(s.model).toBe('m');
    expect(s.end! - s.start).toBe(500);
    expect(s.fromHistory).toBe(true);
  });

  it('marks a tool step whose result is an error', () => {
    const s = stepFromView({ ...llmView(3, ''), kind: 'tool', name: 'exec', output: { content: 'Exit code: 1', is_error: true } });
    expect(s.isError).toBe(true);
    expect(isErrorStep(s)).toBe(true);
  });

  it('responseText joins text blocks and ignores others', () => {
    expect(responseText({ content: [{ type: 'text', text: 'a' }, { type: 'tool_use' }, { type: 'text', text: 'b' }] })).toBe('a\n\nb');
    expect(responseText(undefined)).toBe('');
  });
});

describe('StepList.apply', () => {
  it('appends text deltas to the step they name', () => {
    const l = new StepList();
    l.apply(ev('model.started', { seq: 2, model: 'm' }));
    l.apply(ev('text.delta', { seq: 2, text: 'Hel' }));
    l.apply(ev('model.started', { seq: 4 }));
    l.apply(ev('text.delta', { seq: 4, text: 'other' }));
    l.apply(ev('text.delta', { seq: 2, text: 'lo' }));
    expect(l.get(2)?.text).toBe('Hello');
    expect(l.get(4)?.text).toBe('other');
    expect(l.steps.map((s) => s.seq)).toEqual([2, 4]);
  });

  it('creates a step for a delta whose model.started was missed', () => {
    const l = new StepList();
    l.apply(ev('text.delta', { seq: 6, text: 'x' }));
    expect(l.get(6)).toMatchObject({ kind: 'llm', status: 'started', text: 'x' });
  });

  it('model.finished sets the final text, usage, cost and timing', () => {
    const l = new StepList();
    l.apply(ev('model.started', { seq: 2, time: at(0) }));
    l.apply(ev('text.delta', { seq: 2, text: 'partial' }));
    l.apply(ev('model.finished', { seq: 2, time: at(900), text: 'full text', usage: { input_tokens: 1, output_tokens: 2 }, cost_usd: 0.5, duration_ms: 900 }));
    const s = l.get(2)!;
    expect(s).toMatchObject({ status: 'completed', text: 'full text', cost: 0.5, usage: { input_tokens: 1, output_tokens: 2 } });
    expect(s.end! - s.start).toBe(900);
  });

  it('a retry restarts the text and counts the attempt', () => {
    const l = new StepList();
    l.apply(ev('text.delta', { seq: 2, text: 'lost' }));
    l.apply(ev('model.retry', { seq: 2, attempt: 2, wait_ms: 1000, error: '529 overloaded' }));
    expect(l.get(2)).toMatchObject({ attempt: 2, text: '', retries: [{ attempt: 2, waitMs: 1000, error: '529 overloaded' }] });
  });

  it('tool events make a tool step with input, then its result', () => {
    const l = new StepList();
    l.apply(ev('tool.started', { seq: 3, tool: 'exec', input: { command: 'go test' } }));
    expect(l.get(3)).toMatchObject({ kind: 'tool', name: 'exec', status: 'started', input: { command: 'go test' } });
    l.apply(ev('tool.finished', { seq: 3, tool: 'exec', time: at(40), duration_ms: 40, result: { content: 'Exit code: 1', is_error: true } }));
    expect(l.get(3)).toMatchObject({ status: 'completed', isError: true, output: { content: 'Exit code: 1', is_error: true } });
  });

  it('ignores events without a step and replaces objects instead of changing them', () => {
    const l = new StepList();
    expect(l.apply(ev('run.started'))).toBe(false);
    l.apply(ev('model.started', { seq: 2 }));
    const before = l.get(2);
    l.apply(ev('text.delta', { seq: 2, text: 'x' }));
    expect(l.get(2)).not.toBe(before);
    expect(before?.text).toBe('');
  });

  it('keeps steps in seq order when events arrive out of order', () => {
    const l = new StepList();
    l.apply(ev('model.started', { seq: 5 }));
    l.apply(ev('model.started', { seq: 2 }));
    l.apply(ev('tool.started', { seq: 3, tool: 'read' }));
    expect(l.steps.map((s) => s.seq)).toEqual([2, 3, 5]);
    expect(l.get(3)?.name).toBe('read');
  });

  it('approval events make an approval step that waits, then is decided', () => {
    const l = new StepList();
    l.apply(ev('approval.requested', { seq: 3, tool: 'write', input: { path: 'a' }, approval: { tool: 'write', input: { path: 'a' } } }));
    expect(l.get(3)).toMatchObject({ kind: 'approval', status: 'started', name: 'write' });
    l.apply(ev('approval.decided', { seq: 3, tool: 'write', decision: { outcome: { run: false, refusal: 'no' } } }));
    expect(l.get(3)).toMatchObject({ status: 'completed', isError: true });
  });
});

describe('StepList.mergeHistory', () => {
  it('takes finished steps from history, keeps live text of steps history has as started', () => {
    const l = new StepList();
    l.apply(ev('model.started', { seq: 2 }));
    l.apply(ev('text.delta', { seq: 2, text: 'live' }));
    l.apply(ev('model.started', { seq: 4 }));
    l.apply(ev('text.delta', { seq: 4, text: 'streaming now' }));
    l.apply(ev('tool.started', { seq: 5, tool: 'exec' })); // history has not seen it yet

    l.mergeHistory([
      { ...llmView(1, ''), kind: 'config', name: 'run.config', output: { agent: 'coder' } },
      llmView(2, 'final from journal'),
      { ...llmView(4, ''), status: 'started', output: undefined, finished_at: undefined },
    ]);

    expect(l.steps.map((s) => s.seq)).toEqual([1, 2, 4, 5]);
    expect(l.get(2)).toMatchObject({ text: 'final from journal', fromHistory: true });
    expect(l.get(4)).toMatchObject({ text: 'streaming now', status: 'started', fromHistory: true });
    expect(l.get(5)).toMatchObject({ kind: 'tool', fromHistory: false });
  });

  it('late events do not overwrite a step history has finished', () => {
    const l = new StepList();
    l.mergeHistory([llmView(2, 'journal')]);
    l.apply(ev('text.delta', { seq: 2, text: ' late' }));
    l.apply(ev('model.finished', { seq: 2, text: 'event text' }));
    expect(l.get(2)?.text).toBe('journal');
  });

  it('keeps the meta of a tool step when its finished event arrives after history', () => {
    const l = new StepList();
    l.mergeHistory([{ ...llmView(3, ''), kind: 'tool', name: 'exec', status: 'started', output: undefined, finished_at: undefined }]);
    l.apply(ev('tool.finished', { seq: 3, tool: 'exec', result: { content: 'Exit code: 0', is_error: false } }));
    expect(l.get(3)).toMatchObject({ status: 'completed', output: { content: 'Exit code: 0' } });
  });
});

describe('RunTrace', () => {
  it('publishes a new steps array once per batch, and only for its own run', () => {
    const t = new RunTrace('run_1');
    const before = t.steps;
    expect(t.applyEvents([ev('model.started', { seq: 2 }), ev('text.delta', { seq: 2, text: 'a' }), ev('text.delta', { seq: 2, text: 'b', run_id: 'run_2' })])).toBe(true);
    expect(t.steps).not.toBe(before);
    expect(t.steps[0].text).toBe('a');
    const after = t.steps;
    expect(t.applyEvents([ev('text.delta', { seq: 2, text: 'x', run_id: 'run_2' })])).toBe(false);
    expect(t.steps).toBe(after);
  });

  it('is ready after history', () => {
    const t = new RunTrace('run_1');
    expect(t.state).toBe('empty');
    t.setHistory([llmView(2, 'x')]);
    expect(t.state).toBe('ready');
    expect(t.step(2)?.text).toBe('x');
  });
});
