import { describe, expect, it } from 'vitest';
import type { OutlineStep, Span } from '../api';
import { spanOf, type StepRecord } from './fixtures';
import { MAX_PAGES_AT_ONCE, PAGE_STEPS, Pages, pageOf, pageRange } from './pages';
import { StepList, stepFromOutline } from './steps';
import { RunTrace } from './trace.svelte';
import { ALL_STEPS, DAGRE_MAX, buildGraph, layoutGraph, patchLayout } from './graph';
import { timelineModel } from './timeline';

const T = Date.parse('2026-11-23T10:00:00Z');

const outlineStep = (seq: number, over: Partial<OutlineStep> = {}): OutlineStep => ({
  seq,
  kind: seq % 2 === 0 ? 'llm' : 'tool',
  name: seq % 2 === 0 ? 'model' : 'exec',
  status: 'completed',
  attempt: 1,
  start: T + seq * 100,
  end: T + seq * 100 + 80,
  requested_by: seq % 2 === 1 && seq > 1 ? seq - 1 : undefined,
  ...over,
});

const record = (seq: number): StepRecord => ({
  seq,
  name: seq % 2 === 0 ? 'model' : 'exec',
  kind: seq % 2 === 0 ? 'llm' : 'tool',
  status: 'completed',
  idempotent: seq % 2 === 0,
  attempt: 1,
  input: seq % 2 === 0 ? { model: 'm', messages: 1, tools: 1, max_tokens: 10 } : { command: `make test${seq}` },
  output:
    seq % 2 === 0
      ? { content: [{ type: 'text', text: `thinking about ${seq}` }], stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 2 }, model: 'm', id: 'x' }
      : { content: 'Exit code: 0\n', is_error: false, meta: { exit_code: 0 } },
  usage: { input_tokens: 0, output_tokens: 0 },
  cost_usd: 0,
  started_at: new Date(T + seq * 100).toISOString(),
  finished_at: new Date(T + seq * 100 + 80).toISOString(),
});

const outline = (n: number, over: (s: OutlineStep) => OutlineStep = (s) => s) => ({
  version: 1,
  trace_id: 't',
  run: undefined as never,
  steps: Array.from({ length: n }, (_, i) => over(outlineStep(i + 1))),
  spans: [] as Span[],
});

describe('pageOf and pageRange', () => {
  it('puts steps 1..PAGE_STEPS on page 0 and pages tile the seqs', () => {
    expect(pageOf(1)).toBe(0);
    expect(pageOf(PAGE_STEPS)).toBe(0);
    expect(pageOf(PAGE_STEPS + 1)).toBe(1);
    expect(pageOf(0)).toBe(0);
    expect(pageRange(0)).toEqual({ from: 1, to: PAGE_STEPS });
    expect(pageRange(3)).toEqual({ from: 3 * PAGE_STEPS + 1, to: 4 * PAGE_STEPS });
    for (const seq of [1, 57, 100, 101, 999, 100_000]) {
      const r = pageRange(pageOf(seq));
      expect(seq >= r.from && seq <= r.to).toBe(true);
    }
  });
});

describe('Pages', () => {
  it('asks for each page once, nearest first, at most a few at a time', () => {
    const p = new Pages();
    expect(p.want(150, 250)).toEqual([1, 2]);
    expect(p.want(150, 250)).toEqual([]);
    expect(p.want(1, 350)).toEqual([0, 3]);
    expect(p.want(1001, 1001 + 10 * PAGE_STEPS)).toHaveLength(MAX_PAGES_AT_ONCE);
    expect(p.want(1001, 1001 + 10 * PAGE_STEPS)[0]).toBe(10 + MAX_PAGES_AT_ONCE);
  });

  it('asks again for a page that failed or was forgotten, and never for an empty range', () => {
    const p = new Pages();
    expect(p.want(5, 4)).toEqual([]);
    expect(p.want(1, 1)).toEqual([0]);
    p.failed(0);
    expect(p.asked(0)).toBe(false);
    expect(p.want(1, 1)).toEqual([0]);
    p.want(101, 250);
    p.forget([201, 7]);
    expect(p.want(1, 300)).toEqual([0, 2]);
  });
});

describe('stepFromOutline', () => {
  it('reads what an outline step says, marked partial, without content', () => {
    const s = stepFromOutline(outlineStep(3, { is_error: true, error: 'boom', usage: { input_tokens: 1, output_tokens: 2 }, cost_usd: 0.5 }));
    expect(s).toMatchObject({ seq: 3, kind: 'tool', name: 'exec', status: 'completed', partial: true, fromHistory: true, isError: true, error: 'boom', cost: 0.5, requestedBy: 2, start: T + 300, end: T + 380, text: '' });
    expect(s.input).toBeUndefined();
    expect(s.output).toBeUndefined();
    const running = stepFromOutline(outlineStep(4, { status: 'started', end: undefined, start: undefined }));
    expect(running.end).toBeNull();
    expect(Number.isNaN(running.start)).toBe(true);
  });
});

describe('StepList outline and content', () => {
  it('fills partial steps with their content, keeping the outline’s requested_by', () => {
    const l = new StepList();
    l.mergeOutline(outline(6).steps.map(stepFromOutline));
    // Step 3's caller (2) is outside the loaded range 3..4: the outline's is kept.
    expect(l.fillContent([3, 4].map((seq) => ({ ...stepFromSpan(seq), requestedBy: undefined })))).toBe(true);
    expect(l.get(3)).toMatchObject({ requestedBy: 2, input: { command: 'make test3' } });
    expect(l.get(3)?.partial).toBeFalsy();
    expect(l.get(4)?.text).toBe('thinking about 4');
    expect(l.get(5)?.partial).toBe(true);
    // Content for a step already filled, or unknown, changes nothing.
    expect(l.fillContent([stepFromSpan(3), stepFromSpan(99)])).toBe(false);
  });

  it('keeps loaded content across a new outline unless the outline says the step changed', () => {
    const l = new StepList();
    l.mergeOutline(outline(4, (s) => (s.seq === 4 ? { ...s, status: 'started', end: undefined } : s)).steps.map(stepFromOutline));
    l.fillContent([stepFromSpan(3), { ...stepFromSpan(4), status: 'started', end: null }]);
    const stale = l.mergeOutline(outline(5).steps.map(stepFromOutline));
    expect(stale).toEqual([4]);
    expect(l.get(3)?.partial).toBeFalsy();
    expect(l.get(4)?.partial).toBe(true);
    expect(l.get(5)?.partial).toBe(true);
  });
});

describe('RunTrace outline', () => {
  it('publishes the outline, then each filled page once, and forgets pages of changed steps', () => {
    const t = new RunTrace('run_1');
    t.setOutline(outline(300));
    expect(t.outlined).toBe(true);
    expect(t.state).toBe('ready');
    expect(t.steps).toHaveLength(300);
    const before = t.steps;
    expect(t.pages.want(1, 1)).toEqual([0]);
    expect(t.fillContent(Array.from({ length: 100 }, (_, i) => spanOf(record(i + 1))))).toBe(true);
    expect(t.steps).not.toBe(before);
    expect(t.steps.slice(0, 100).every((s) => !s.partial)).toBe(true);
    expect(t.fillContent([spanOf(record(1))])).toBe(false);
    // A new outline where step 50 is running again: its page is asked for again.
    t.setOutline(outline(300, (s) => (s.seq === 50 ? { ...s, attempt: 2 } : s)));
    expect(t.step(50)?.partial).toBe(true);
    expect(t.step(49)?.partial).toBeFalsy();
    expect(t.pages.want(1, 100)).toEqual([0]);
  });

  it('draws a partial step without a label, and its label once filled', () => {
    const t = new RunTrace('run_1');
    t.setOutline(outline(4, (s) => (s.seq === 3 ? { ...s, is_error: true } : s)));
    const g = buildGraph(t.steps, ALL_STEPS);
    const node = g.nodes.find((n) => n.seq === 3)!;
    expect(node).toMatchObject({ partial: true, label: '…', error: true, badge: 'error', badgeTone: 'bad' });
    expect(timelineModel(t.steps, 0).rows[2]).toMatchObject({ partial: true, label: 'exec · …', error: true });
    t.fillContent([spanOf(record(3))]);
    const filled = buildGraph(t.steps, ALL_STEPS).nodes.find((n) => n.seq === 3)!;
    expect(filled.partial).toBe(false);
    expect(filled.label).toContain('make test3');
  });
});

describe('patchLayout', () => {
  it('patches the nodes of filled steps where they were, as a new layout would draw them', () => {
    const t = new RunTrace('run_1');
    t.setOutline(outline(300));
    const before = t.steps;
    const laid = layoutGraph(buildGraph(before, ALL_STEPS), DAGRE_MAX);
    t.fillContent([101, 102, 103].map((seq) => spanOf(record(seq))));
    const patched = patchLayout(laid, before, t.steps)!;
    const fresh = layoutGraph(buildGraph(t.steps, ALL_STEPS), DAGRE_MAX);
    expect(patched).toBeDefined();
    expect(patched.edges).toBe(laid.edges);
    const view = (l: typeof fresh) => l.nodes.map((n) => [n.seq, n.x, n.y, n.label, n.badge, n.partial, n.tip]);
    expect(view(patched)).toEqual(view(fresh));
    expect(patched.turns.map((b) => b.label)).toEqual(fresh.turns.map((b) => b.label));
    expect(patched.nodes[indexOf(patched, 103)].label).toContain('make test103');
    // Nothing changed: the same layout.
    expect(patchLayout(patched, t.steps, t.steps)).toBe(patched);
  });

  it('gives up when the shape may have changed', () => {
    const t = new RunTrace('run_1');
    t.setOutline(outline(10));
    const laid = layoutGraph(buildGraph(t.steps, ALL_STEPS), 0);
    const grown = new RunTrace('run_1');
    grown.setOutline(outline(11));
    expect(patchLayout(laid, t.steps, grown.steps)).toBeUndefined();
    const failed = t.steps.map((s) => (s.seq === 5 ? { ...s, status: 'failed' as const } : s));
    expect(patchLayout(laid, t.steps, failed)).toBeUndefined();
    const dagre = layoutGraph(buildGraph(t.steps, ALL_STEPS));
    expect(patchLayout(dagre, t.steps, t.steps.slice())).toBeUndefined();
  });
});

function indexOf(l: { nodes: { seq: number }[] }, seq: number): number {
  return l.nodes.findIndex((n) => n.seq === seq);
}

function stepFromSpan(seq: number) {
  const t = new RunTrace('x');
  t.setHistory({ spans: [spanOf(record(seq))] });
  return t.steps[0];
}
