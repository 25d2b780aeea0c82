// The trace graph: a run's steps as nodes (the config, each model call, each
// tool call) and edges (a model call fans out to the tools it asked for, and
// those fan back in to the next model call), laid out top to bottom, plus
// the geometry queries the SVG view needs to draw only what is on screen.
// A model call and its tool calls are a turn: drawn as one box, and a turn
// can be collapsed to its model call. An approval is a badge on the tool
// call it let through, not a node of its own (a refused or waiting one, with
// no call after it, stays a node).
// Resumes are markers placed on the edge that leaves the step they follow;
// they are not nodes, so they never move the layout.
//
// Small graphs are laid out by dagre. Large ones use a chain layout computed
// here in one pass: a run is a chain by nature, so the picture is the same
// and 10,000 steps take milliseconds.

import dagre from '@dagrejs/dagre';
import type { StepKind, StepStatus } from '../api';
import { countText, durationText, excerpt } from '../format';
import { plainText } from '../markdown';
import { summarizeTool } from '../tools';
import { approvalCall, approvalRefused, isErrorStep, modelInput, resumeLabel, type TraceResume, type TraceStep } from './steps';

/** NODE_W and NODE_H are the size of every node, in graph units (px at 100%). */
export const NODE_W = 208;
export const NODE_H = 48;
const GAP_X = 16;
const GAP_Y = 30;
const PAD = 24;

/** DAGRE_MAX is the largest graph laid out by dagre; larger ones use the chain layout. */
export const DAGRE_MAX = 120;

/** GraphFilter says which steps to show, by kind, and whether only errors; resume says whether
 * to mark where the run was resumed (markers, not steps: hiding them hides no step). */
export interface GraphFilter {
  llm: boolean;
  tool: boolean;
  config: boolean;
  approval: boolean;
  errorsOnly: boolean;
  resume: boolean;
}

/** ALL_STEPS shows every step and every resume. */
export const ALL_STEPS: GraphFilter = { llm: true, tool: true, config: true, approval: true, errorsOnly: false, resume: true };

/** isFiltering reports whether a filter hides any step. */
export function isFiltering(f: GraphFilter): boolean {
  return !f.llm || !f.tool || !f.config || !f.approval || f.errorsOnly;
}

/** hidesAnything reports whether a filter hides steps or resume markers. */
export function hidesAnything(f: GraphFilter): boolean {
  return isFiltering(f) || f.resume === false;
}

function kindShown(f: GraphFilter, kind: string): boolean {
  return kind in f ? f[kind as keyof GraphFilter] !== false : true;
}

/** filterSteps returns the steps a filter shows (the same array when it shows all). */
export function filterSteps(steps: readonly TraceStep[], f: GraphFilter): readonly TraceStep[] {
  if (!isFiltering(f)) return steps;
  return steps.filter((s) => kindShown(f, s.kind) && (!f.errorsOnly || isErrorStep(s)));
}

/** GraphNode is one step as a box. x and y (top left) are set by the layout. */
export interface GraphNode {
  seq: number;
  kind: StepKind;
  status: StepStatus;
  error: boolean;
  /** head is the small first line: "#4 model", "#5 exec". */
  head: string;
  /** label is the main line: the command, file, pattern or the start of the model's text. */
  label: string;
  /** badge is a short fact at the right of the head: "exit 0", "+3 −1", "188 tok". */
  badge: string;
  /** badgeTone colours the badge. */
  badgeTone: 'ok' | 'bad' | 'muted' | 'add' | 'warn';
  /** turn is the seq of the model call whose turn this node is in (-1: none, the config). */
  turn: number;
  /** gate is the approval this tool call went through, shown as a badge on it. */
  gate: { seq: number; text: string; tone: 'ok' | 'bad' | 'warn' } | null;
  /** folded counts the steps of this model call's turn hidden because the turn is collapsed. */
  folded: number;
  /** tip is the hover text: step, tool, status, duration, subject. */
  tip: string;
  /** partial says the step's content is not loaded yet (an outline's step): no label yet. */
  partial: boolean;
  /** rank is the row of the chain layout; col of cols is the node's column in its model call's fan-out. */
  rank: number;
  col: number;
  cols: number;
  x: number;
  y: number;
}

/** GraphEdge joins two nodes by index; elided says steps were hidden between them by a filter. */
export interface GraphEdge {
  from: number;
  to: number;
  elided: boolean;
}

/** TraceGraph is the graph of a run's (shown) steps. */
export interface TraceGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** chain says the edges simply follow seq order (a filter hid steps). */
  chain: boolean;
}

/** LABEL_CHARS is how many characters of a label fit a node (12 px text in NODE_W). */
const LABEL_CHARS = 30;

function nodeOf(s: TraceStep, rank: number): GraphNode {
  const n: GraphNode = {
    seq: s.seq,
    kind: s.kind,
    status: s.status,
    error: isErrorStep(s),
    head: `#${s.seq} ${s.kind === 'llm' ? 'model' : s.kind === 'config' ? 'config' : s.kind === 'approval' ? 'approval' : s.name}`,
    label: '',
    badge: '',
    badgeTone: 'muted',
    turn: -1,
    gate: null,
    folded: 0,
    tip: '',
    partial: s.partial === true,
    rank,
    col: 0,
    cols: 1,
    // Not placed yet. NaN, not 0, so the fields hold doubles from the start: a layout's
    // fractional positions would otherwise make V8 migrate every node object (seconds at
    // 100,000 nodes).
    x: NaN,
    y: NaN,
  };
  if (s.partial) {
    // An outline's step: what it says without its content, the label once it is loaded.
    if (s.kind === 'llm' && s.usage && (s.usage.output_tokens || s.usage.input_tokens)) n.badge = `${countText(s.usage.output_tokens)} tok`;
    else if (s.isError) {
      n.badge = s.kind === 'approval' ? 'refused' : 'error';
      n.badgeTone = 'bad';
    }
    n.label = '…';
  } else if (s.kind === 'llm') {
    const text = plainText(s.text.slice(0, 200));
    if (text.trim()) n.label = excerpt(text, LABEL_CHARS);
    else if (s.calls?.length) n.label = '→ ' + s.calls.map((c) => c.name).join(', ');
    else if (s.status === 'started') n.label = s.retries?.length ? `retrying (attempt ${s.attempt})` : 'thinking…';
    else n.label = s.model ?? modelInput(s.input)?.model ?? '';
    if (s.usage && (s.usage.output_tokens || s.usage.input_tokens)) n.badge = `${countText(s.usage.output_tokens)} tok`;
    else if (s.end !== null && !Number.isNaN(s.start)) n.badge = durationText(s.end - s.start);
  } else if (s.kind === 'tool') {
    const sum = summarizeTool(s.name, s.input, s.output);
    n.label = excerpt(sum.subject, LABEL_CHARS - 2);
    const change = sum.facts.filter((x) => /^[+−]\d/.test(x.text) || x.text === 'new');
    const blocked = sum.facts.find((x) => x.text.endsWith(' blocked'));
    const f = sum.facts[0];
    if (blocked) {
      // A blocked connection is what a person must act on: it wins the one badge.
      n.badge = blocked.text;
      n.badgeTone = 'bad';
    } else if (change.length > 0) {
      n.badge = change.map((x) => x.text).join(' ');
      n.badgeTone = 'add';
    } else if (f) {
      n.badge = f.text;
      n.badgeTone = f.tone === 'bad' ? 'bad' : f.tone === 'ok' ? 'ok' : f.tone === 'add' ? 'add' : 'muted';
    }
  } else if (s.kind === 'approval') {
    const call = approvalCall(s);
    const sum = summarizeTool(call.tool, call.input, undefined);
    n.label = excerpt(`${call.tool} ${sum.subject}`, LABEL_CHARS);
    if (s.status === 'started') {
      n.badge = 'waiting';
      n.badgeTone = 'warn';
    } else if (approvalRefused(s.output)) {
      n.badge = 'refused';
      n.badgeTone = 'bad';
    } else {
      n.badge = 'allowed';
      n.badgeTone = 'ok';
    }
  } else {
    const cfg = (s.output ?? s.input) as { agent?: string; provider?: string; model?: string; sandbox?: string } | undefined;
    n.label = cfg
      ? excerpt([cfg.agent, [cfg.provider, cfg.model].filter(Boolean).join('/'), cfg.sandbox].filter(Boolean).join(' · '), LABEL_CHARS)
      : 'run configuration';
  }
  if (s.status === 'failed') {
    n.badge = 'failed';
    n.badgeTone = 'bad';
  }
  n.tip = tipOf(s, n);
  return n;
}

const STATUS_WORD: Record<string, string> = { started: 'running', completed: 'completed', failed: 'failed', skipped: 'skipped' };

/** tipOf is a node's hover text: "#5 exec · completed · 1.2 s" and what it did. */
function tipOf(s: TraceStep, n: GraphNode): string {
  const what = s.kind === 'llm' ? 'model call' : s.kind === 'tool' ? `${s.name} call` : s.kind;
  const parts = [`#${s.seq} ${what}`, n.error && s.status !== 'failed' ? 'error' : (STATUS_WORD[s.status] ?? s.status)];
  if (s.end !== null && !Number.isNaN(s.start) && !Number.isNaN(s.end)) parts.push(durationText(s.end - s.start));
  if (n.badge && n.badge !== 'failed') parts.push(n.badge);
  const detail = s.partial ? '' : s.kind === 'tool' ? summarizeTool(s.name, s.input, s.output).subject : n.label;
  return parts.join(' · ') + (detail ? `\n${excerpt(detail, 120)}` : '');
}

/** gateOf is the badge an approval step puts on the call it let through. */
function gateOf(s: TraceStep): NonNullable<GraphNode['gate']> {
  if (s.status === 'started') return { seq: s.seq, text: 'waiting', tone: 'warn' };
  if (approvalRefused(s.output)) return { seq: s.seq, text: 'refused', tone: 'bad' };
  return { seq: s.seq, text: 'approved', tone: 'ok' };
}

/** NO_TURNS collapses no turn. */
const NO_TURNS: ReadonlySet<number> = new Set();

/**
 * buildGraph turns steps into nodes and edges. With every step shown, a
 * model call fans out to the tool calls it made (an approval gate is a badge
 * on the call it let through), and those fan back in to the next model call;
 * a model call whose seq is in collapsed stands for its whole turn. With a
 * filter on, the shown steps form a chain in seq order.
 */
export function buildGraph(all: readonly TraceStep[], filter: GraphFilter = ALL_STEPS, collapsed: ReadonlySet<number> = NO_TURNS): TraceGraph {
  const chain = isFiltering(filter);
  const steps = filterSteps(all, filter);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  if (chain) {
    for (let i = 0; i < steps.length; i++) {
      nodes.push(nodeOf(steps[i], i));
      if (i > 0) edges.push({ from: i - 1, to: i, elided: steps[i].seq !== steps[i - 1].seq + 1 });
    }
    return { nodes, edges, chain };
  }
  let parent = -1; // node index of the last model call (or the config): the source of tool calls
  let turn = -1; // seq of the last model call
  let leaves: number[] = []; // the ends of the fan-out since parent
  let fan: number[] = []; // the nodes of the fan-out, to give them their column count
  let col = 0;
  let maxRank = -1;
  const close = () => {
    for (const k of fan) nodes[k].cols = col;
  };
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if ((s.kind === 'tool' || s.kind === 'approval') && parent >= 0) {
      const next = steps[i + 1];
      // An approval followed by the call it let through is that call's badge.
      if (s.kind === 'approval' && next?.kind === 'tool' && approvalCall(s).tool === next.name) continue;
      if (turn >= 0 && collapsed.has(turn)) {
        nodes[parent].folded++;
        continue;
      }
      const prev = i > 0 ? steps[i - 1] : undefined;
      const n = nodeOf(s, nodes[parent].rank + 1);
      n.turn = turn;
      if (s.kind === 'tool' && prev?.kind === 'approval' && approvalCall(prev).tool === s.name) {
        n.gate = gateOf(prev);
        n.tip += `\nApproval #${prev.seq}: ${n.gate.text}`;
      }
      n.col = col++;
      nodes.push(n);
      edges.push({ from: parent, to: nodes.length - 1, elided: false });
      leaves.push(nodes.length - 1);
      fan.push(nodes.length - 1);
      maxRank = Math.max(maxRank, n.rank);
      continue;
    }
    // A model call (or a tool call with no model call before it) starts a new row.
    close();
    const n = nodeOf(s, ++maxRank);
    nodes.push(n);
    const k = nodes.length - 1;
    if (leaves.length > 0) for (const t of leaves) edges.push({ from: t, to: k, elided: false });
    else if (k > 0) edges.push({ from: parent >= 0 ? parent : k - 1, to: k, elided: false });
    leaves = [];
    fan = [];
    col = 0;
    parent = s.kind === 'tool' || s.kind === 'approval' ? -1 : k;
    turn = s.kind === 'llm' ? s.seq : -1;
    if (s.kind === 'llm') n.turn = s.seq;
  }
  close();
  return { nodes, edges, chain };
}

/** LaidEdge is an edge with its end points: the bottom middle of from, the top middle of to. */
export interface LaidEdge extends GraphEdge {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Layout is a graph with coordinates and the indexes the viewport queries use. */
export interface Layout {
  nodes: GraphNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
  engine: 'dagre' | 'chain' | 'empty';
  /** key is the shape key of a dagre layout (see layoutGraph). */
  key: string;
  /** byY lists node indexes by their top y. */
  byY: Int32Array;
  /** edgeByY lists edge indexes by their top y; maxEdgeSpan is the tallest edge. */
  edgeByY: Int32Array;
  maxEdgeSpan: number;
  /** turns are the boxes around each model call and its tool calls, in seq (and y) order. */
  turns: TurnBox[];
}

/** TurnBox is the box drawn around one turn: a model call and the tool calls it made. */
export interface TurnBox {
  /** seq is the model call's seq; index counts turns from 1. */
  seq: number;
  index: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** steps is how many tool calls the turn has (shown or folded); collapsed says they are folded. */
  steps: number;
  collapsed: boolean;
  /** label is the turn's one-line summary for far zoom levels: "T3 Let me look… · 2 tools". */
  label: string;
}

/** TURN_PAD is the room between a turn's box and its nodes. */
export const TURN_PAD = 7;

/** turnBoxes groups laid-out nodes by turn into boxes. */
/** turnLabel is the label of turn index, whose model call is n. */
function turnLabel(index: number, n: GraphNode): string {
  const noun = (k: number) => (k === 1 ? '1 step' : `${k} steps`);
  return `T${index} ${n.label}` + (n.folded > 0 ? ` · ${noun(n.folded)} folded` : '');
}

function turnBoxes(nodes: readonly GraphNode[]): TurnBox[] {
  const out: TurnBox[] = [];
  let cur: TurnBox | null = null;
  let x1 = 0;
  let y1 = 0;
  const finish = () => {
    if (!cur) return;
    cur.w = x1 - cur.x;
    cur.h = y1 - cur.y;
    out.push(cur);
  };
  for (const n of nodes) {
    if (n.turn < 0) continue;
    if (n.kind === 'llm' && n.seq === n.turn) {
      finish();
      cur = { seq: n.seq, index: out.length + 1, x: n.x - TURN_PAD, y: n.y - TURN_PAD, w: 0, h: 0, steps: n.folded, collapsed: n.folded > 0, label: '' };
      cur.label = turnLabel(cur.index, n);
      x1 = n.x + NODE_W + TURN_PAD;
      y1 = n.y + NODE_H + TURN_PAD;
      continue;
    }
    if (!cur || n.turn !== cur.seq) continue;
    cur.steps++;
    cur.x = Math.min(cur.x, n.x - TURN_PAD);
    cur.y = Math.min(cur.y, n.y - TURN_PAD);
    x1 = Math.max(x1, n.x + NODE_W + TURN_PAD);
    y1 = Math.max(y1, n.y + NODE_H + TURN_PAD);
  }
  finish();
  return out;
}

/** cullTurns returns the indexes of the turn boxes that touch view (boxes are in y order). */
export function cullTurns(layout: Layout, view: Rect): number[] {
  const out: number[] = [];
  const ts = layout.turns;
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid].y + ts[mid].h < view.y0) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < ts.length && ts[i].y <= view.y1; i++) {
    const b = ts[i];
    if (b.x <= view.x1 && b.x + b.w >= view.x0 && b.y + b.h >= view.y0) out.push(i);
  }
  return out;
}

function chainLayout(g: TraceGraph): void {
  // Each rank is a row; a fan-out's columns are centred under their model call.
  for (const n of g.nodes) {
    n.x = (n.col - (n.cols - 1) / 2) * (NODE_W + GAP_X) - NODE_W / 2;
    n.y = n.rank * (NODE_H + GAP_Y);
  }
}

function dagreLayout(g: TraceGraph): void {
  const dg = new dagre.graphlib.Graph();
  dg.setGraph({ rankdir: 'TB', nodesep: GAP_X, ranksep: GAP_Y, marginx: 0, marginy: 0 });
  dg.setDefaultEdgeLabel(() => ({}));
  for (let i = 0; i < g.nodes.length; i++) dg.setNode(String(i), { width: NODE_W, height: NODE_H });
  for (const e of g.edges) dg.setEdge(String(e.from), String(e.to));
  dagre.layout(dg);
  g.nodes.forEach((n, i) => {
    const p = dg.node(String(i));
    n.x = p.x - NODE_W / 2;
    n.y = p.y - NODE_H / 2;
  });
}

/** shapeKey identifies a graph's shape (nodes, ranks, edges): equal keys lay out the same. */
function shapeKey(g: TraceGraph): string {
  return g.nodes.map((n) => `${n.seq}:${n.rank}`).join(',') + '|' + g.edges.map((e) => `${e.from}>${e.to}`).join(',');
}

/**
 * layoutGraph places the nodes of g (in place) and returns the layout. When
 * prev is the layout of a graph of the same shape (a live run whose text
 * changed, not its steps), its positions are reused instead of laying out again.
 */
export function layoutGraph(g: TraceGraph, dagreMax = DAGRE_MAX, prev?: Layout): Layout {
  const nodes = g.nodes;
  let engine: Layout['engine'] = 'empty';
  let key = '';
  if (nodes.length > 0) {
    if (nodes.length <= dagreMax && !g.chain) {
      key = shapeKey(g);
      if (prev && prev.engine === 'dagre' && prev.key === key) {
        nodes.forEach((n, i) => {
          n.x = prev.nodes[i].x;
          n.y = prev.nodes[i].y;
        });
      } else {
        dagreLayout(g);
      }
      engine = 'dagre';
    } else {
      chainLayout(g);
      engine = 'chain';
    }
  }
  // Move the picture to start at (PAD, PAD).
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const n of nodes) {
    if (n.x < minX) minX = n.x;
    if (n.y < minY) minY = n.y;
    if (n.x + NODE_W > maxX) maxX = n.x + NODE_W;
    if (n.y + NODE_H > maxY) maxY = n.y + NODE_H;
  }
  if (nodes.length === 0) minX = minY = maxX = maxY = 0;
  const dx = PAD - minX;
  const dy = PAD - minY;
  for (const n of nodes) {
    n.x += dx;
    n.y += dy;
  }
  const edges: LaidEdge[] = g.edges.map((e) => {
    const a = nodes[e.from];
    const b = nodes[e.to];
    // Named fields, not a spread of e: copying by spread was most of laying out 100,000 steps.
    return { from: e.from, to: e.to, elided: e.elided, x1: a.x + NODE_W / 2, y1: a.y + NODE_H, x2: b.x + NODE_W / 2, y2: b.y };
  });
  const byY = sortedBy(nodes.length, (i) => nodes[i].y);
  const edgeByY = sortedBy(edges.length, (i) => Math.min(edges[i].y1, edges[i].y2));
  let maxEdgeSpan = 0;
  for (const e of edges) maxEdgeSpan = Math.max(maxEdgeSpan, Math.abs(e.y2 - e.y1));
  return {
    nodes,
    edges,
    width: maxX - minX + 2 * PAD,
    height: maxY - minY + 2 * PAD,
    engine,
    key,
    byY,
    edgeByY,
    maxEdgeSpan,
    turns: turnBoxes(nodes),
  };
}

/**
 * patchLayout returns the layout of steps as an update of prev, the layout of prevSteps under
 * the same filter and collapsed turns, when the steps differ only in content (a page of an
 * outline's steps loaded): the changed steps' nodes are rebuilt where theirs were, and nothing
 * is laid out again. It returns undefined when anything that shapes the graph may have
 * changed (a step added, or a kind, name, status or error that differs), so the caller
 * builds and lays out the graph anew.
 */
export function patchLayout(prev: Layout, prevSteps: readonly TraceStep[], steps: readonly TraceStep[]): Layout | undefined {
  if (prev.engine !== 'chain' || steps.length !== prevSteps.length) return undefined;
  let nodes: GraphNode[] | undefined;
  const turns = new Set<number>();
  for (let i = 0; i < steps.length; i++) {
    const a = prevSteps[i];
    const b = steps[i];
    if (a === b) continue;
    if (a.seq !== b.seq || a.kind !== b.kind || a.name !== b.name || a.status !== b.status || isErrorStep(a) !== isErrorStep(b)) return undefined;
    const at = indexOfSeq(prev, b.seq);
    const old = at < 0 ? undefined : prev.nodes[at];
    if (!old || old.seq !== b.seq) continue; // not a node of its own (a badge, folded, filtered out)
    const n = nodeOf(b, old.rank);
    n.turn = old.turn;
    n.gate = old.gate;
    n.folded = old.folded;
    n.col = old.col;
    n.cols = old.cols;
    n.x = old.x;
    n.y = old.y;
    if (n.gate) n.tip += `\nApproval #${n.gate.seq}: ${n.gate.text}`;
    nodes ??= prev.nodes.slice();
    nodes[at] = n;
    if (n.kind === 'llm' && n.seq === n.turn) turns.add(at);
  }
  if (!nodes) return prev;
  const byIndex = new Map<number, number>();
  for (const at of turns) byIndex.set(nodes[at].seq, at);
  const patched = nodes;
  return {
    ...prev,
    nodes: patched,
    turns: prev.turns.map((b) => {
      const at = byIndex.get(b.seq);
      return at === undefined ? b : { ...b, label: turnLabel(b.index, patched[at]) };
    }),
  };
}

/** sortedBy returns the indexes 0..n-1 ordered by key; chain layouts come sorted already, so check first. */
function sortedBy(n: number, key: (i: number) => number): Int32Array {
  // The keys are read once into an array: sorting with a comparator that computes them was
  // most of laying out 100,000 steps.
  const keys = new Float64Array(n);
  const order = new Int32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    keys[i] = key(i);
    if (i > 0 && keys[i] < keys[i - 1]) sorted = false;
  }
  if (!sorted) order.set(Array.from(order).sort((a, b) => keys[a] - keys[b] || a - b));
  return order;
}

/** Rect is an axis-aligned rectangle in graph units. */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** lowerBound returns the first position in order whose key is >= v. */
function lowerBound(order: Int32Array, key: (i: number) => number, v: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(order[mid]) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Visible lists the nodes and edges (by index) that touch a rectangle. */
export interface Visible {
  nodes: number[];
  edges: number[];
}

/** cull returns what of the layout touches view; it looks only at candidates near view's y range. */
export function cull(layout: Layout, view: Rect): Visible {
  const { nodes, edges } = layout;
  const out: Visible = { nodes: [], edges: [] };
  const ny = (i: number) => nodes[i].y;
  for (let p = lowerBound(layout.byY, ny, view.y0 - NODE_H); p < layout.byY.length; p++) {
    const n = nodes[layout.byY[p]];
    if (n.y > view.y1) break;
    if (n.x <= view.x1 && n.x + NODE_W >= view.x0) out.nodes.push(layout.byY[p]);
  }
  const ey = (i: number) => Math.min(edges[i].y1, edges[i].y2);
  for (let p = lowerBound(layout.edgeByY, ey, view.y0 - layout.maxEdgeSpan); p < layout.edgeByY.length; p++) {
    const e = edges[layout.edgeByY[p]];
    const top = Math.min(e.y1, e.y2);
    if (top > view.y1) break;
    if (Math.max(e.y1, e.y2) < view.y0) continue;
    if (Math.min(e.x1, e.x2) <= view.x1 && Math.max(e.x1, e.x2) >= view.x0) out.edges.push(layout.edgeByY[p]);
  }
  return out;
}

/** nodeAt returns the index of the node at (x, y), or -1. */
export function nodeAt(layout: Layout, x: number, y: number): number {
  const v = cull(layout, { x0: x, y0: y, x1: x, y1: y });
  return v.nodes.length > 0 ? v.nodes[0] : -1;
}

/** indexOfSeq returns the index of the node for step seq (for an approval, the call it let
 * through), or -1. Nodes are in seq order. */
export function indexOfSeq(layout: Layout, seq: number): number {
  const nodes = layout.nodes;
  let lo = 0;
  let hi = nodes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (nodes[mid].seq === seq) return mid;
    if (nodes[mid].seq < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return nodes[lo]?.gate?.seq === seq ? lo : -1;
}

/** foldedIn returns the seq of the collapsed turn that hides step seq, or -1. */
export function foldedIn(layout: Layout, seq: number): number {
  if (indexOfSeq(layout, seq) >= 0) return -1;
  const nodes = layout.nodes;
  let lo = 0;
  let hi = nodes.length - 1;
  let before = -1; // the last node with a seq below seq
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (nodes[mid].seq < seq) {
      before = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const n = nodes[before];
  return n && n.folded > 0 ? n.seq : -1;
}

/** MARKER_H is the height of a resume marker; it fits the gap between two rows. */
export const MARKER_H = 18;

/** GraphMarker is where one or more resumes are drawn: a pill centred at (x, y) on the edge that
 * leaves the step they follow (the last shown step at or before it), or above the first node. */
export interface GraphMarker {
  /** afterSeq is the step the resumes followed (of the first, when several share a marker). */
  afterSeq: number;
  resumes: TraceResume[];
  label: string;
  /** width is the pill's width, from its label. */
  width: number;
  x: number;
  y: number;
}

/**
 * placeMarkers places a run's resumes on a laid-out graph: each on the edge below the step it
 * follows, resumes after the same shown step sharing one marker ("resumed ×2 (…)"). A resume
 * after a step a filter hides goes to the last shown step before it.
 */
export function placeMarkers(layout: Layout, resumes: readonly TraceResume[]): GraphMarker[] {
  const nodes = layout.nodes;
  if (nodes.length === 0 || resumes.length === 0) return [];
  const byAnchor = new Map<number, TraceResume[]>();
  for (const r of resumes) {
    // The last node whose seq is <= afterSeq; -1 when the resume comes before every node.
    let lo = 0;
    let hi = nodes.length - 1;
    let anchor = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (nodes[mid].seq <= r.afterSeq) {
        anchor = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const list = byAnchor.get(anchor);
    if (list) list.push(r);
    else byAnchor.set(anchor, [r]);
  }
  const out: GraphMarker[] = [];
  for (const [anchor, rs] of byAnchor) {
    const reasons = [...new Set(rs.map((r) => r.reason).filter(Boolean))];
    const label = rs.length === 1 ? resumeLabel(rs[0]) : `resumed ×${rs.length}${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
    const width = Math.min(NODE_W, 30 + label.length * 6.8); // 11 px semibold text, the icon and padding
    const n = nodes[Math.max(anchor, 0)];
    const y = anchor < 0 ? n.y - GAP_Y / 2 : n.y + NODE_H + GAP_Y / 2;
    out.push({ afterSeq: rs[0].afterSeq, resumes: rs, label, width, x: n.x + NODE_W / 2, y });
  }
  return out.sort((a, b) => a.afterSeq - b.afterSeq);
}

/** edgePath is the SVG path data of an edge: a vertical S-curve. */
export function edgePath(e: LaidEdge): string {
  const my = (e.y1 + e.y2) / 2;
  return `M${e.x1} ${e.y1}C${e.x1} ${my} ${e.x2} ${my} ${e.x2} ${e.y2}`;
}

/** Transform maps graph units to screen pixels: screen = graph * k + (x, y). */
export interface Transform {
  x: number;
  y: number;
  k: number;
}

/** viewRect is the part of the graph a viewport of w × h pixels shows under t. */
export function viewRect(t: Transform, w: number, h: number): Rect {
  return { x0: -t.x / t.k, y0: -t.y / t.k, x1: (w - t.x) / t.k, y1: (h - t.y) / t.k };
}

/** fitTransform shows the whole layout in w × h, no larger than maxK and no smaller than minK. */
export function fitTransform(layout: Layout, w: number, h: number, minK = 0.02, maxK = 1): Transform {
  const k = Math.max(minK, Math.min(maxK, w / layout.width, h / layout.height));
  return { k, x: (w - layout.width * k) / 2, y: Math.max(0, (h - layout.height * k) / 2) };
}

/** zoomAt scales t by factor around the screen point (px, py), within [minK, maxK]. */
export function zoomAt(t: Transform, factor: number, px: number, py: number, minK = 0.02, maxK = 2.5): Transform {
  const k = Math.max(minK, Math.min(maxK, t.k * factor));
  const f = k / t.k;
  return { k, x: px - (px - t.x) * f, y: py - (py - t.y) * f };
}

/** centerOn returns t moved so the node at index i is in the middle of a w × h viewport. */
export function centerOn(layout: Layout, i: number, t: Transform, w: number, h: number): Transform {
  const n = layout.nodes[i];
  if (!n) return t;
  return { k: t.k, x: w / 2 - (n.x + NODE_W / 2) * t.k, y: h / 2 - (n.y + NODE_H / 2) * t.k };
}
