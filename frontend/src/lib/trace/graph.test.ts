import { describe, expect, it } from 'vitest';
import { stepOf, syntheticSteps, type StepRecord } from './fixtures';
import {
  ALL_STEPS,
  DAGRE_MAX,
  NODE_H,
  NODE_W,
  buildGraph,
  centerOn,
  cull,
  filterSteps,
  foldedIn,
  cullTurns,
  fitTransform,
  indexOfSeq,
  layoutGraph,
  hidesAnything,
  isFiltering,
  nodeAt,
  placeMarkers,
  viewRect,
  zoomAt,
} from './graph';
import { type TraceResume, type TraceStep } from './steps';

const T = Date.parse('2026-11-23T10:00:00Z');

function step(seq: number, kind: TraceStep['kind'], name = kind === 'llm' ? 'model' : kind, over: Partial<TraceStep> = {}): TraceStep {
  return { seq, kind, name, status: 'completed', attempt: 1, text: '', isError: false, cost: 0, start: T + seq, end: T + seq + 1, fromHistory: true, ...over };
}

/** A run: config, model → (exec, read), model → (approval → write), model. */
const run: TraceStep[] = [
  step(1, 'config', 'run.config', { output: { agent: 'coder', provider: 'demo', model: 'corral-demo', sandbox: 'local' } }),
  step(2, 'llm', 'model', { text: 'Let me look.' }),
  step(3, 'tool', 'exec', { input: { command: 'go test ./...' }, output: { content: 'Exit code: 1', is_error: true, meta: { exit_code: 1 } }, isError: true }),
  step(4, 'tool', 'read', { input: { path: 'a.go' }, output: { content: '…', meta: { lines: 12 } } }),
  step(5, 'llm', 'model'),
  step(6, 'approval', 'write', { input: { tool: 'write', input: { path: 'b.go', content: 'x' } }, output: { outcome: { run: true } } }),
  step(7, 'tool', 'write', { input: { path: 'b.go', content: 'x\n' }, output: { content: 'Created', meta: { created: true, lines: 1 } } }),
  step(8, 'llm', 'model', { text: 'Done.', status: 'started', end: null }),
];

const edgeList = (g: ReturnType<typeof buildGraph>) => g.edges.map((e) => `${g.nodes[e.from].seq}>${g.nodes[e.to].seq}${e.elided ? '~' : ''}`);

describe('buildGraph', () => {
  // Issue 15 changed this: an approval is a badge on the call it let through, not a node.
  it('fans a model call out to its tool calls and back in to the next model call', () => {
    const g = buildGraph(run);
    expect(g.nodes.map((n) => n.seq)).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(edgeList(g)).toEqual(['1>2', '2>3', '2>4', '3>5', '4>5', '5>7', '7>8']);
    expect(g.chain).toBe(false);
  });

  it('gives nodes rows and columns: siblings share a row, a gated call sits in its turn', () => {
    const g = buildGraph(run);
    const at = (seq: number) => g.nodes.find((n) => n.seq === seq)!;
    expect([1, 2, 3, 4, 5, 7, 8].map((s) => at(s).rank)).toEqual([0, 1, 2, 2, 3, 4, 5]);
    expect([at(3).col, at(4).col, at(3).cols]).toEqual([0, 1, 2]);
    expect(at(7).col).toBe(0);
  });

  it('groups turns: each tool call knows its model call', () => {
    const g = buildGraph(run);
    expect(g.nodes.map((n) => [n.seq, n.turn])).toEqual([[1, -1], [2, 2], [3, 2], [4, 2], [5, 5], [7, 5], [8, 8]]);
  });

  it.each([
    { name: 'allowed', approval: { output: { outcome: { run: true } } }, want: { text: 'approved', tone: 'ok' } },
    { name: 'waiting', approval: { status: 'started' as const, output: undefined, end: null }, want: { text: 'waiting', tone: 'warn' } },
  ])('puts an approval ($name) on its tool call as a badge', ({ approval, want }) => {
    const steps = run.map((s) => (s.seq === 6 ? { ...s, ...approval } : s));
    const g = buildGraph(steps);
    expect(g.nodes.some((n) => n.kind === 'approval')).toBe(false);
    const write = g.nodes.find((n) => n.seq === 7)!;
    expect(write.gate).toEqual({ seq: 6, ...want });
    expect(write.tip).toContain(`Approval #6: ${want.text}`);
  });

  it('keeps an approval with no call after it (refused, or still waiting) as a node', () => {
    const refused = [...run.slice(0, 5), step(6, 'approval', 'write', { input: { tool: 'write', input: { path: 'b.go' } }, output: { outcome: { run: false } } }), step(7, 'llm', 'model')];
    const g = buildGraph(refused);
    expect(g.nodes.find((n) => n.seq === 6)).toMatchObject({ kind: 'approval', badge: 'refused', turn: 5 });
  });

  it('folds a collapsed turn into its model call', () => {
    const g = buildGraph(run, ALL_STEPS, new Set([2]));
    expect(g.nodes.map((n) => n.seq)).toEqual([1, 2, 5, 7, 8]);
    expect(g.nodes[1].folded).toBe(2);
    expect(edgeList(g)).toEqual(['1>2', '2>5', '5>7', '7>8']);
    const l = layoutGraph(g);
    expect(foldedIn(l, 3)).toBe(2);
    expect(foldedIn(l, 7)).toBe(-1);
    expect(l.turns.map((t) => [t.seq, t.steps, t.collapsed])).toEqual([[2, 2, true], [5, 1, false], [8, 0, false]]);
  });

  it('gives every node a hover text with the step, status and duration', () => {
    const g = buildGraph(run);
    const at = (seq: number) => g.nodes.find((n) => n.seq === seq)!;
    expect(at(3).tip).toMatch(/^#3 exec call · error · \d+ ?ms · exit 1\ngo test \.\/\.\.\./);
    expect(at(8).tip).toMatch(/^#8 model call · running/);
  });

  it('labels nodes with what they did', () => {
    const g = buildGraph(run);
    const at = (seq: number) => g.nodes.find((n) => n.seq === seq)!;
    expect(at(1)).toMatchObject({ head: '#1 config', label: 'coder · demo/corral-demo · lo…' });
    expect(at(2)).toMatchObject({ head: '#2 model', label: 'Let me look.' });
    expect(at(3)).toMatchObject({ head: '#3 exec', label: 'go test ./...', badge: 'exit 1', badgeTone: 'bad', error: true });
    expect(at(4)).toMatchObject({ label: 'a.go', badge: '12 lines' });
    expect(at(7)).toMatchObject({ badge: 'new +1' });
    expect(at(8)).toMatchObject({ status: 'started', label: 'Done.' });
  });

  it('with a filter, chains the shown steps and marks where steps were hidden', () => {
    const g = buildGraph(run, { ...ALL_STEPS, llm: false, approval: false });
    expect(g.chain).toBe(true);
    expect(edgeList(g)).toEqual(['1>3~', '3>4', '4>7~']);
    expect(buildGraph(run, { ...ALL_STEPS, errorsOnly: true }).nodes.map((n) => n.seq)).toEqual([3]);
  });

  it('filterSteps returns the same array when nothing is hidden', () => {
    expect(filterSteps(run, ALL_STEPS)).toBe(run);
    expect(filterSteps(run, { ...ALL_STEPS, tool: false }).map((s) => s.seq)).toEqual([1, 2, 5, 6, 8]);
  });
});

describe('layoutGraph', () => {
  it('lays out small graphs with dagre, top to bottom, without overlaps', () => {
    const l = layoutGraph(buildGraph(run));
    expect(l.engine).toBe('dagre');
    const y = (seq: number) => l.nodes[indexOfSeq(l, seq)].y;
    expect(y(1)).toBeLessThan(y(2));
    expect(y(2)).toBeLessThan(y(3));
    expect(y(3)).toBe(y(4));
    expect(y(5)).toBeLessThan(y(7));
    expect(indexOfSeq(l, 6)).toBe(indexOfSeq(l, 7)); // the approval selects the call it let through
    for (const a of l.nodes) {
      for (const b of l.nodes) {
        if (a === b) continue;
        const overlap = a.x < b.x + NODE_W && b.x < a.x + NODE_W && a.y < b.y + NODE_H && b.y < a.y + NODE_H;
        expect(overlap, `#${a.seq} overlaps #${b.seq}`).toBe(false);
      }
    }
    expect(Math.min(...l.nodes.map((n) => n.x))).toBeGreaterThanOrEqual(0);
  });

  it('uses the chain layout above DAGRE_MAX, with the same rows', () => {
    const l = layoutGraph(buildGraph(run), 0);
    expect(l.engine).toBe('chain');
    const n = (seq: number) => l.nodes[indexOfSeq(l, seq)];
    expect(n(3).y).toBe(n(4).y);
    expect(n(4).x - n(3).x).toBeGreaterThanOrEqual(NODE_W);
    expect(n(5).x).toBe(n(7).x);
    expect(n(7).y).toBeGreaterThan(n(5).y);
  });

  it('reuses a dagre layout when only text changed', () => {
    const g1 = buildGraph(run);
    const l1 = layoutGraph(g1);
    const changed = run.map((s) => (s.seq === 8 ? { ...s, text: 'Done. And more text.' } : s));
    const l2 = layoutGraph(buildGraph(changed), DAGRE_MAX, l1);
    expect(l2.key).toBe(l1.key);
    expect(l2.nodes.map((n) => [n.x, n.y])).toEqual(l1.nodes.map((n) => [n.x, n.y]));
  });

  it('handles no steps', () => {
    const l = layoutGraph(buildGraph([]));
    expect(l.engine).toBe('empty');
    expect(cull(l, { x0: 0, y0: 0, x1: 1000, y1: 1000 })).toEqual({ nodes: [], edges: [] });
  });

  it('lays out a 10,000-step run with the chain layout (its speed: graph.bench.ts)', () => {
    const l = layoutGraph(buildGraph(syntheticSteps(10_000).map(stepOf)));
    expect(l.nodes).toHaveLength(10_000);
    expect(l.engine).toBe('chain');
  });
});

describe('culling', () => {
  const steps = syntheticSteps(10_000).map(stepOf);
  const l = layoutGraph(buildGraph(steps));

  it('returns only the nodes and edges that touch the viewport', () => {
    const t = { x: 0, y: 0, k: 1 };
    const view = viewRect({ ...t, y: -l.nodes[indexOfSeq(l, 5000)].y + 100 }, 1000, 800);
    const v = cull(l, view);
    expect(v.nodes.length).toBeGreaterThan(0);
    expect(v.nodes.length).toBeLessThan(60);
    // Exactly the brute-force answer.
    const want = l.nodes
      .map((n, i) => ({ n, i }))
      .filter(({ n }) => n.x <= view.x1 && n.x + NODE_W >= view.x0 && n.y <= view.y1 && n.y + NODE_H >= view.y0)
      .map(({ i }) => i)
      .sort((a, b) => a - b);
    expect([...v.nodes].sort((a, b) => a - b)).toEqual(want);
    for (const i of v.edges) {
      const e = l.edges[i];
      expect(Math.max(e.y1, e.y2)).toBeGreaterThanOrEqual(view.y0);
      expect(Math.min(e.y1, e.y2)).toBeLessThanOrEqual(view.y1);
    }
    expect(v.edges.length).toBeGreaterThan(0);
  });

  it('returns only the turn boxes that touch the viewport, each around its nodes', () => {
    const l = layoutGraph(buildGraph(syntheticSteps(2_000).map(stepOf)));
    const mid = l.turns[300];
    const got = cullTurns(l, { x0: -1e6, y0: mid.y, x1: 1e6, y1: mid.y + mid.h });
    expect(got).toContain(300);
    expect(got.length).toBeLessThanOrEqual(3);
    for (const n of l.nodes.filter((n) => n.turn === mid.seq)) {
      expect(n.x).toBeGreaterThanOrEqual(mid.x);
      expect(n.y + NODE_H).toBeLessThanOrEqual(mid.y + mid.h);
    }
    expect(cullTurns(l, { x0: -1e6, y0: -100, x1: 1e6, y1: -50 })).toEqual([]);
  });

  it('finds the node under a point', () => {
    const i = indexOfSeq(l, 1234);
    const n = l.nodes[i];
    expect(nodeAt(l, n.x + 5, n.y + 5)).toBe(i);
    expect(nodeAt(l, -500, -500)).toBe(-1);
  });

  it('centers, fits and zooms', () => {
    const i = indexOfSeq(l, 9000);
    const t = centerOn(l, i, { x: 0, y: 0, k: 1 }, 800, 600);
    const v = cull(l, viewRect(t, 800, 600));
    expect(v.nodes).toContain(i);
    const fit = fitTransform(l, 800, 600);
    expect(fit.k).toBeLessThan(0.1);
    const z = zoomAt({ x: 10, y: 20, k: 1 }, 2, 100, 100);
    expect(z).toEqual({ k: 2, x: -80, y: -60 }); // the point under the cursor stays put
  });
});

describe('syntheticSteps', () => {
  it('makes the requested number of steps', () => {
    const s: StepRecord[] = syntheticSteps(50, { errorsEvery: 7, runningLast: true });
    expect(s).toHaveLength(50);
    expect(s[49].status).toBe('started');
  });
});

describe('placeMarkers', () => {
  const resume = (afterSeq: number, reason = 'interrupted', at = T + 100 * afterSeq): TraceResume => ({ afterSeq, at, reason, spanId: `r${afterSeq}${reason}` });
  const laid = (steps: readonly TraceStep[], filter = ALL_STEPS) => layoutGraph(buildGraph(steps, filter));

  it('puts a resume on the edge leaving the step it follows, between it and the next row', () => {
    const l = laid(run);
    const [m] = placeMarkers(l, [resume(3)]);
    const three = l.nodes[indexOfSeq(l, 3)];
    const five = l.nodes[indexOfSeq(l, 5)];
    expect(m).toMatchObject({ afterSeq: 3, label: 'resumed (interrupted)', x: three.x + NODE_W / 2 });
    expect(m.y).toBeGreaterThan(three.y + NODE_H);
    expect(m.y).toBeLessThan(five.y);
    // Markers are not nodes: the layout is the same with or without them.
    expect(l.nodes.map((n) => n.seq)).toEqual([1, 2, 3, 4, 5, 7, 8]); // the approval (#6) is a badge on #7
  });

  it('shares one marker between resumes after the same step, in order', () => {
    const ms = placeMarkers(laid(run), [resume(2), resume(5, 'interrupted'), resume(5, 'cancelled')]);
    expect(ms.map((m) => [m.afterSeq, m.label, m.resumes.length])).toEqual([
      [2, 'resumed (interrupted)', 1],
      [5, 'resumed ×2 (interrupted, cancelled)', 2],
    ]);
  });

  it('moves a resume after a hidden step to the last shown step before it, or above the first', () => {
    const l = laid(run, { ...ALL_STEPS, tool: false });
    const [m] = placeMarkers(l, [resume(4)]);
    expect(m.x).toBe(l.nodes[indexOfSeq(l, 2)].x + NODE_W / 2);
    const top = placeMarkers(laid(run.slice(1)), [resume(1)]);
    expect(top[0].y).toBeLessThan(laid(run.slice(1)).nodes[0].y);
  });

  it('has nothing to place without resumes or nodes', () => {
    expect(placeMarkers(laid(run), [])).toEqual([]);
    expect(placeMarkers(laid([]), [resume(1)])).toEqual([]);
  });

  it('hiding resumes hides no step', () => {
    const f = { ...ALL_STEPS, resume: false };
    expect(isFiltering(f)).toBe(false);
    expect(hidesAnything(f)).toBe(true);
    expect(filterSteps(run, f)).toBe(run);
  });
});
