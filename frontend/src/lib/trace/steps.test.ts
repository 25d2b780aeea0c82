import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events';
import { resumeSpan, stepOf, traceOf, type StepRecord } from './fixtures';
import type { Trace } from '../api';
import { LIVE_EGRESS, LIVE_TAIL, StepList, isErrorStep, responseRetries, responseText, responseThinking, resumeLabel, resumesFromTrace, stepsFromTrace } from './steps';
import hello from './testdata/hello.trace.json';
import { RunTrace } from './trace.svelte';
import { summarizeTool } from '../tools';

const T = '2026-11-23T10:00:00Z';
const at = (ms: number) => new Date(Date.parse(T) + ms).toISOString();
const ev = (type: RunEvent['type'], over: Partial<RunEvent> = {}): RunEvent => ({ type, run_id: 'run_1', time: at(0), ...over });

const llmView = (seq: number, text: string, over: Partial<StepRecord> = {}): StepRecord => ({
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

describe('stepFromSpan', () => {
  it('reads the text and tool calls of a model step', () => {
    const s = stepOf(llmView(2, 'Hello'));
    expect(s.text).toBe('Hello');
    expect(s.calls?.map((c) => c.name)).toEqual(['exec']);
    expect(s.model).toBe('m');
    expect(s.end! - s.start).toBe(500);
    expect(s.fromHistory).toBe(true);
  });

  it('marks a tool step whose result is an error', () => {
    const s = stepOf({ ...llmView(3, ''), kind: 'tool', name: 'exec', output: { content: 'Exit code: 1', is_error: true } });
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

  it('keeps thinking deltas apart from the text, and a retry drops both', () => {
    const l = new StepList();
    l.apply(ev('model.started', { seq: 2 }));
    l.apply(ev('thinking.delta', { seq: 2, text: 'Check ' }));
    l.apply(ev('thinking.delta', { seq: 2, text: 'first.' }));
    l.apply(ev('text.delta', { seq: 2, text: 'Answer' }));
    expect(l.get(2)).toMatchObject({ thinking: 'Check first.', text: 'Answer' });
    l.apply(ev('model.retry', { seq: 2, attempt: 2 }));
    expect(l.get(2)?.thinking).toBeUndefined();
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

  it('tool.output keeps a live tail of a running command, then the result replaces it', () => {
    const l = new StepList();
    l.apply(ev('tool.started', { seq: 3, tool: 'exec', input: { command: 'make' } }));
    l.apply(ev('tool.output', { seq: 3, tool: 'exec', text: 'building\n', stream: 'stdout', output_seq: 1, elapsed_ms: 120 }));
    l.apply(ev('tool.output', { seq: 3, tool: 'exec', text: 'linking\n', stream: 'stdout', output_seq: 2, elapsed_ms: 900, dropped: 10 }));
    expect(l.get(3)).toMatchObject({ status: 'started', liveElapsed: 900, liveDropped: 10 });
    expect(l.get(3)!.live).toBe('building\n\n[… 10 bytes not shown live …]\nlinking\n');
    l.apply(ev('tool.output', { seq: 3, tool: 'exec', text: 'x'.repeat(LIVE_TAIL) }));
    expect(l.get(3)!.live!.length).toBe(LIVE_TAIL);
    l.apply(ev('tool.finished', { seq: 3, tool: 'exec', result: { content: 'done', is_error: false } }));
    l.apply(ev('tool.output', { seq: 3, tool: 'exec', text: 'late' }));
    expect(l.get(3)!.live!.endsWith('late')).toBe(false);
  });

  it('tool.egress lists a running command\'s connections as they end, bounded, and none after it finished', () => {
    const l = new StepList();
    const conn = (host: string, allowed: boolean) => ({ time: at(1), method: 'CONNECT', host, port: 443, allowed, bytes_out: 0, bytes_in: 0, duration_ms: 1 });
    l.apply(ev('tool.started', { seq: 3, tool: 'exec', input: { command: 'npm install' } }));
    l.apply(ev('tool.egress', { seq: 3, tool: 'exec', egress: conn('registry.test', true) }));
    l.apply(ev('tool.egress', { seq: 3, tool: 'exec', egress: conn('evil.test', false) }));
    expect(l.get(3)!.liveEgress!.map((c) => `${c.host}:${c.allowed}`)).toEqual(['registry.test:true', 'evil.test:false']);
    for (let i = 0; i < LIVE_EGRESS + 5; i++) l.apply(ev('tool.egress', { seq: 3, tool: 'exec', egress: conn(`h${i}.test`, true) }));
    expect(l.get(3)!.liveEgress).toHaveLength(LIVE_EGRESS);
    l.apply(ev('tool.finished', { seq: 3, tool: 'exec', result: { content: 'done', is_error: false } }));
    l.apply(ev('tool.egress', { seq: 3, tool: 'exec', egress: conn('late.test', true) }));
    expect(l.get(3)!.liveEgress!.some((c) => c.host === 'late.test')).toBe(false);
    expect(l.apply(ev('tool.egress', { seq: 3, tool: 'exec' }))).toBe(false);
  });

  it('compact events make a compaction step that streams its summary, then completes', () => {
    const l = new StepList();
    l.apply(ev('compact.started', { seq: 7, model: 'm', reason: 'threshold', context_tokens: 9000 }));
    expect(l.get(7)).toMatchObject({ kind: 'compact', name: 'compact', status: 'started', input: { reason: 'threshold', tokens: 9000 } });
    l.apply(ev('text.delta', { seq: 7, text: 'The person asked' }));
    expect(l.get(7)).toMatchObject({ kind: 'compact', text: 'The person asked' });
    l.apply(ev('compact.finished', { seq: 7, text: 'The person asked for X.', usage: { input_tokens: 5, output_tokens: 2 }, cost_usd: 0.01, duration_ms: 30 }));
    expect(l.get(7)).toMatchObject({ kind: 'compact', status: 'completed', text: 'The person asked for X.', cost: 0.01 });
  });

  it('tool.finished carries the meta cards show, at once', () => {
    const l = new StepList();
    l.apply(ev('tool.started', { seq: 3, tool: 'exec', input: { command: 'go test' } }));
    l.apply(ev('tool.finished', { seq: 3, tool: 'exec', result: { content: 'Exit code: 2', is_error: true, meta: { exit_code: 2, duration_ms: 1500 } } }));
    const exec = l.get(3)!;
    expect(exec.output).toEqual({ content: 'Exit code: 2', is_error: true, meta: { exit_code: 2, duration_ms: 1500 } });
    expect(summarizeTool(exec.name, exec.input, exec.output).facts.map((f) => f.text)).toContain('exit 2');

    l.apply(ev('tool.started', { seq: 5, tool: 'edit', input: { path: 'a.go' } }));
    l.apply(ev('tool.finished', { seq: 5, tool: 'edit', result: { content: 'Edited a.go', is_error: false, meta: { path: 'a.go', added: 3, removed: 1, diff: '--- a/a.go\n+++ b/a.go\n' } } }));
    const facts = summarizeTool('edit', l.get(5)!.input, l.get(5)!.output).facts.map((f) => f.text);
    expect(facts).toEqual(expect.arrayContaining(['+3', '−1']));
  });

  it('tool.finished without a diff keeps one already known', () => {
    const l = new StepList();
    l.apply(ev('tool.started', { seq: 4, tool: 'write', input: { path: 'big.txt' } }));
    // A history load got there first with the full diff; the event's meta leaves long diffs out.
    l.put({ ...l.get(4)!, output: { content: 'Overwrote big.txt', meta: { added: 900, diff: 'long diff' } } });
    l.apply(ev('tool.finished', { seq: 4, tool: 'write', result: { content: 'Overwrote big.txt', is_error: false, meta: { added: 900, removed: 2 } } }));
    expect(l.get(4)!.output).toEqual({ content: 'Overwrote big.txt', is_error: false, meta: { added: 900, removed: 2, diff: 'long diff' } });
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
    ].map((r) => stepOf(r as StepRecord)));

    expect(l.steps.map((s) => s.seq)).toEqual([1, 2, 4, 5]);
    expect(l.get(2)).toMatchObject({ text: 'final from journal', fromHistory: true });
    expect(l.get(4)).toMatchObject({ text: 'streaming now', status: 'started', fromHistory: true });
    expect(l.get(5)).toMatchObject({ kind: 'tool', fromHistory: false });
  });

  it('late events do not overwrite a step history has finished', () => {
    const l = new StepList();
    l.mergeHistory([llmView(2, 'journal')].map((r) => stepOf(r as StepRecord)));
    l.apply(ev('text.delta', { seq: 2, text: ' late' }));
    l.apply(ev('model.finished', { seq: 2, text: 'event text' }));
    expect(l.get(2)?.text).toBe('journal');
  });

  it('keeps the meta of a tool step when its finished event arrives after history', () => {
    const l = new StepList();
    l.mergeHistory([{ ...llmView(3, ''), kind: 'tool', name: 'exec', status: 'started', output: undefined, finished_at: undefined }].map((r) => stepOf(r as StepRecord)));
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
    t.setHistory(traceOf([llmView(2, 'x')]));
    expect(t.state).toBe('ready');
    expect(t.step(2)?.text).toBe('x');
  });
});

describe('stepsFromTrace', () => {
  // A trace backend/trace really built (kept equal to it by its TestUIFixture): a write and an
  // exec, each behind its approval, the command the exec ran, and a call to an unknown tool.
  const steps = stepsFromTrace(hello as unknown as Trace);

  it('has one step per step span, in seq order, with the journal facts', () => {
    expect(steps.map((s) => `${s.seq}:${s.kind}:${s.name}`)).toEqual([
      '1:config:run.config',
      '2:llm:model',
      '3:approval:write',
      '4:tool:write',
      '5:llm:model',
      '6:approval:exec',
      '7:tool:exec',
      '8:tool:nosuch',
      '9:llm:model',
    ]);
    expect(steps.every((s) => s.status === 'completed' && s.fromHistory && s.end !== null && s.end >= s.start)).toBe(true);
    expect(steps.find((s) => s.seq === 4)).toMatchObject({ idempotent: false, attempt: 1, isError: false });
    expect(steps[1]).toMatchObject({ text: 'Writing the file.', model: 'script-1', usage: { input_tokens: 100, output_tokens: 10 } });
    expect(steps[1].calls?.map((c) => c.name)).toEqual(['write']);
  });

  it('links tool calls and approvals to the model call that asked for them', () => {
    expect(steps.filter((s) => s.requestedBy !== undefined).map((s) => `${s.seq}<${s.requestedBy}`)).toEqual(['3<2', '4<2', '6<5', '7<5', '8<5']);
  });

  it('gives an exec step the command it ran', () => {
    const exec = steps.find((s) => s.seq === 7);
    expect(exec?.command).toMatchObject({ exitCode: 3, timedOut: false, sandbox: 'local' });
    expect(exec?.isError).toBe(true);
    expect(steps.find((s) => s.seq === 8)?.command).toBeUndefined();
  });

  it('keeps the run out of the steps and the run info on the trace', () => {
    const t = new RunTrace('run_fixture');
    t.setHistory(hello as unknown as Trace);
    expect(t.steps).toHaveLength(9);
    expect(t.run).toMatchObject({ status: 'completed', steps: 9, usage: { output_tokens: 30 } });
  });
});

describe('resumesFromTrace', () => {
  it('reads resume spans in order and leaves them out of the steps', () => {
    const spans = [...traceOf([llmView(2, 'a'), llmView(3, 'b')]).spans];
    spans.splice(1, 0, resumeSpan(2, at(700), 'interrupted', 1));
    spans.push(resumeSpan(3, at(900), 'cancelled', 2));
    expect(resumesFromTrace({ spans })).toEqual([
      { afterSeq: 2, at: Date.parse(at(700)), reason: 'interrupted', spanId: 'resume1' },
      { afterSeq: 3, at: Date.parse(at(900)), reason: 'cancelled', spanId: 'resume2' },
    ]);
    expect(stepsFromTrace({ spans }).map((s) => s.seq)).toEqual([2, 3]);
    expect(resumeLabel({ reason: 'cancelled' })).toBe('resumed (cancelled)');
  });

  it('the hello fixture has none', () => {
    expect(resumesFromTrace(hello as unknown as Trace)).toEqual([]);
  });

  it('RunTrace keeps the resumes of its history, and the same array while they do not change', () => {
    const t = new RunTrace('run_1');
    const spans = [...traceOf([llmView(2, 'a')]).spans, resumeSpan(2, at(700))];
    t.setHistory({ spans });
    const first = t.resumes;
    expect(first.map((r) => r.afterSeq)).toEqual([2]);
    t.setHistory({ spans });
    expect(t.resumes).toBe(first);
    t.setHistory({ spans: [...spans, resumeSpan(2, at(800), 'cancelled', 2)] });
    expect(t.resumes.map((r) => r.reason)).toEqual(['interrupted', 'cancelled']);
  });
});

describe('responseThinking and responseRetries', () => {
  const output = {
    content: [
      { type: 'thinking', thinking: 'Check the weather first.', signature: 'sig' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'It is sunny.' },
    ],
    stop_reason: 'end_turn',
    usage: { input_tokens: 1, output_tokens: 2 },
    attempts: [{ started: '2026-12-07T10:00:00Z', duration_ns: 5e8, error: 'anthropic: overloaded (in stream)', kind: 'overloaded', retryable: true, discarded: true, wait_ns: 1.5e9 }],
  };
  it('shows thinking apart from the answer, redacted thinking by name only', () => {
    expect(responseThinking(output)).toBe('Check the weather first.\n\n[redacted thinking]');
    expect(responseText(output)).toBe('It is sunny.');
  });
  it('lists the recorded failed attempts as retries', () => {
    expect(responseRetries(output)).toEqual([{ attempt: 2, waitMs: 1500, error: 'anthropic: overloaded (in stream)' }]);
    expect(responseRetries({ content: [], stop_reason: 'end_turn', usage: {} })).toEqual([]);
  });
});

describe('subagentsFromTrace', () => {
  it('reads the helpers grafted under the task steps, and keeps their steps out of the run', async () => {
    const { subagentsFromTrace } = await import('./steps');
    const tr = (await import('./testdata/delegate.trace.json')).default as unknown as Trace;
    const subs = subagentsFromTrace(tr);
    expect(subs.map((g) => [g.runId, g.agent, g.status, g.hostSeq])).toEqual([
      ['run_fixture-t3', 'helper', 'completed', 5],
      ['run_fixture-t4', 'helper', 'completed', 6],
    ]);
    expect(subs[0].steps.map((s) => s.kind)).toEqual(['config', 'llm']);
    expect(subs[0].usage?.input_tokens).toBe(100);
    // The run's own steps: no helper step takes a seq of the lead's.
    const own = stepsFromTrace(tr);
    expect(own.map((s) => `${s.seq}:${s.kind}:${s.name}`)).toEqual(['1:config:run.config', '2:llm:model', '5:tool:task', '6:tool:task', '7:llm:model']);
  });
});
