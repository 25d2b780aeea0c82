// Synthetic runs for tests and benchmarks: a config step, then model calls
// that each ask for one to three tools, like a real coding session. Tests
// write journal steps (StepRecord) and turn them into the spans of a trace as
// backend/trace builds them (spanOf); testdata/hello.trace.json is a trace the
// Go side really built, kept equal to it by backend/trace's TestUIFixture.

import type { Span, StepKind, StepStatus, Usage } from '../api';
import { stepFromSpan, type TraceStep } from './steps';

/** StepRecord is a journal step as a test writes it. Times are RFC 3339. */
export interface StepRecord {
  seq: number;
  name: string;
  kind: StepKind;
  status: StepStatus;
  idempotent: boolean;
  attempt: number;
  input?: unknown;
  output?: unknown;
  error?: string;
  usage: Usage;
  cost_usd: number;
  started_at: string;
  finished_at?: string;
  resolution?: string;
}

/** spanOf is the span backend/trace builds for a step: its facts in corral.step.* attributes, no end while it runs. */
export function spanOf(r: StepRecord): Span {
  const attributes: Record<string, unknown> = {
    'corral.step.seq': r.seq,
    'corral.step.kind': r.kind,
    'corral.step.name': r.name,
    'corral.step.status': r.status,
    'corral.step.attempt': r.attempt,
    'corral.step.idempotent': r.idempotent,
  };
  if (r.resolution) attributes['corral.step.resolution'] = r.resolution;
  const kind = (['config', 'llm', 'tool', 'approval'] as string[]).includes(r.kind) ? (r.kind as Span['kind']) : 'step';
  return {
    span_id: `span${r.seq}`,
    parent_span_id: 'span0',
    kind,
    name: r.name,
    seq: r.seq,
    status: r.status === 'completed' ? 'ok' : r.status === 'failed' ? 'error' : 'unfinished',
    start: r.started_at,
    end: r.status === 'started' ? undefined : r.finished_at,
    usage: r.usage,
    cost_usd: r.cost_usd,
    input: r.input,
    output: r.output,
    error: r.error,
    attributes,
  };
}

/** resumeSpan is the span backend/trace builds for the run's n-th resume: a point in time after step afterSeq. */
export function resumeSpan(afterSeq: number, at: string, reason = 'interrupted', n = 1): Span {
  return {
    span_id: `resume${n}`,
    parent_span_id: 'span0',
    kind: 'resume',
    name: `resume (${reason})`,
    seq: 0,
    status: 'ok',
    start: at,
    end: at,
    attributes: { 'corral.span.kind': 'resume', 'corral.resume.reason': reason, 'corral.resume.after_seq': afterSeq },
  };
}

/** traceOf is the spans of a run made of records (without the run span, which views do not read). */
export function traceOf(records: readonly StepRecord[]): { spans: Span[] } {
  return { spans: records.map(spanOf) };
}

/** stepOf reads a record as the views do: through its span. */
export function stepOf(r: StepRecord): TraceStep {
  return stepFromSpan(spanOf(r))!;
}

const T0 = Date.parse('2026-11-23T10:00:00Z');

/** syntheticSteps returns a run of about n journal steps, all completed unless told otherwise. */
export function syntheticSteps(n: number, opts: { errorsEvery?: number; runningLast?: boolean } = {}): StepRecord[] {
  const out: StepRecord[] = [];
  let t = T0;
  const at = (ms: number) => new Date(ms).toISOString();
  const push = (v: Omit<StepRecord, 'seq' | 'idempotent' | 'attempt' | 'usage' | 'cost_usd' | 'started_at' | 'finished_at'>, ms: number, usage = { input_tokens: 0, output_tokens: 0 }) => {
    const seq = out.length + 1;
    out.push({ seq, idempotent: true, attempt: 1, usage, cost_usd: 0, started_at: at(t), finished_at: at(t + ms), ...v });
    t += ms + 2;
  };
  push({ name: 'run.config', kind: 'config', status: 'completed', output: { agent: 'coder', provider: 'demo', model: 'corral-demo', sandbox: 'local', tools: ['exec'], max_steps: 50, max_tokens: 8192, system: '' } }, 0);
  let call = 0;
  while (out.length < n) {
    call++;
    const tools = (call % 3) + 1;
    const content: unknown[] = [{ type: 'text', text: `Step ${call}: looking at **file${call}.go**.` }];
    for (let k = 0; k < tools; k++) content.push({ type: 'tool_use', id: `t${call}_${k}`, name: 'exec', input: { command: `go test ./pkg${k}` } });
    push(
      { name: 'model', kind: 'llm', status: 'completed', input: { model: 'corral-demo', messages: call * 2 - 1, tools: 6, max_tokens: 8192 }, output: { content, stop_reason: 'tool_use', usage: { input_tokens: 100, output_tokens: 40 }, model: 'corral-demo', id: `m${call}` } },
      300,
      { input_tokens: 100, output_tokens: 40 },
    );
    for (let k = 0; k < tools && out.length < n; k++) {
      const bad = opts.errorsEvery !== undefined && (out.length + 1) % opts.errorsEvery === 0;
      push({ name: 'exec', kind: 'tool', status: 'completed', input: { command: `go test ./pkg${k}` }, output: { content: `Exit code: ${bad ? 1 : 0}`, is_error: false, meta: { exit_code: bad ? 1 : 0, duration_ms: 40 } } }, 40);
    }
  }
  out.length = n;
  if (opts.runningLast) {
    const last = out[n - 1];
    last.status = 'started';
    delete last.finished_at;
    delete last.output;
  }
  return out;
}
