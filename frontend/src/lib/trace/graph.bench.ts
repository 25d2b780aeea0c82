// Benchmarks of the trace graph model (npm run bench; make bench): a 10,000-step run built,
// laid out and culled to a viewport, as opening and panning the graph does.
import { bench, describe } from 'vitest';
import { stepOf, syntheticSteps } from './fixtures';
import { buildGraph, cull, indexOfSeq, layoutGraph, viewRect } from './graph';

const steps = syntheticSteps(10_000).map(stepOf);
const laid = layoutGraph(buildGraph(steps));
const view = viewRect({ x: 0, y: -laid.nodes[indexOfSeq(laid, 5000)].y + 100, k: 1 }, 1000, 800);

describe('trace graph, 10,000 steps', () => {
  bench('build + layout', () => {
    layoutGraph(buildGraph(steps));
  });
  bench('cull to a 1000×800 viewport', () => {
    cull(laid, view);
  });
});

// A run opened as an outline: its steps without content (labels come a page at a time).
const outline = (n: number) =>
  syntheticSteps(n)
    .map(stepOf)
    .map((s) => ({ ...s, input: undefined, output: undefined, text: '', calls: undefined, partial: true }));
const outline10k = outline(10_000);
const outline100k = outline(100_000);

describe('trace graph of an outline', () => {
  bench('10,000 steps: build + layout', () => {
    layoutGraph(buildGraph(outline10k));
  });
  bench('100,000 steps: build + layout', () => {
    layoutGraph(buildGraph(outline100k));
  });
});
