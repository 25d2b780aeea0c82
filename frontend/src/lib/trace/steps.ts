// The steps of one run as the console, the trace graph, the timeline and the
// inspector see them. A run's steps are read from its trace (Traces.Trace:
// backend/trace's model, the one every export writes) and then kept current
// by run events; the trace is the truth for every step it has finished,
// events fill in what is still happening.

import type { ApprovalRecord, ApprovalRequest, EgressEvent, ModelInput, ModelResponse, OutlineStep, Span, StepKind, StepStatus, ToolMeta, ToolUseBlock, Trace, Usage } from '../api';
import type { RunEvent } from '../events';

/** Retry is one failed model attempt the call is retrying after. */
export interface Retry {
  attempt: number;
  waitMs: number;
  error: string;
}

/** TraceStep is one step of a run. Steps are immutable: a change makes a new object. */
export interface TraceStep {
  seq: number;
  kind: StepKind;
  /** name is "model" for llm steps, the tool name for tool steps, "run.config" for the config step. */
  name: string;
  status: StepStatus;
  attempt: number;
  idempotent?: boolean;
  input?: unknown;
  output?: unknown;
  /** text is the assistant's text of an llm step, streamed or final. */
  text: string;
  /** thinking is the model's reasoning of an llm step (known once the step is in history). */
  thinking?: string;
  /** calls are the tool calls an llm step's response made (known once the step is in history). */
  calls?: ToolUseBlock[];
  /** isError is true for a tool call whose result was an error the model saw. */
  isError: boolean;
  error?: string;
  usage?: Usage;
  cost: number;
  model?: string;
  /** start and end are epoch milliseconds; NaN / null when not known (yet). */
  start: number;
  end: number | null;
  resolution?: string;
  /** replayed marks a step a resume took from the journal instead of running it. */
  replayed?: boolean;
  retries?: Retry[];
  /** fromHistory is true once the step was read from the journal, false while it is known only from events. */
  fromHistory: boolean;
  /** partial marks a step read from the run's outline: its input, output, text and command are
   * not loaded yet (the views ask for them with Traces.Steps). */
  partial?: boolean;
  /** spanId is the step's span in the trace (known once the step is in history). */
  spanId?: string;
  /** requestedBy is the seq of the model call that asked for this tool call or approval. */
  requestedBy?: number;
  /** command is the sandbox command a tool call ran, from the trace's command span. */
  command?: CommandSpan;
  /** live is the tail of a running command's output (tool.output events; lossy), liveElapsed
   * the milliseconds since it started at the last chunk, liveDropped the bytes left out. */
  live?: string;
  liveElapsed?: number;
  liveDropped?: number;
  /** liveEgress are the connections the running command attempted so far (tool.egress events;
   * lossy, at most LIVE_EGRESS); the recorded result lists them all. */
  liveEgress?: EgressEvent[];
}

/** LIVE_TAIL is how much of a running command's output a step keeps. */
export const LIVE_TAIL = 32 * 1024;

/** LIVE_EGRESS is how many of a running command's connections a step keeps (the backend sends
 * at most 100). */
export const LIVE_EGRESS = 100;

/** CommandSpan is the sandbox command of an exec tool call. */
export interface CommandSpan {
  exitCode?: number;
  timedOut: boolean;
  /** start and end are epoch milliseconds. */
  start: number;
  end: number | null;
  sandbox?: string;
}

function time(s: string | undefined): number {
  return s ? Date.parse(s) : NaN;
}

function responseOf(output: unknown): ModelResponse | undefined {
  const o = output as ModelResponse | undefined;
  return o && typeof o === 'object' && Array.isArray(o.content) ? o : undefined;
}

/** responseText joins the text blocks of a model response. */
export function responseText(output: unknown): string {
  const r = responseOf(output);
  if (!r) return '';
  return r.content
    .filter((b) => b.type === 'text' && typeof (b as { text?: unknown }).text === 'string')
    .map((b) => (b as { text: string }).text)
    .join('\n\n');
}

/** responseThinking joins the thinking blocks of a model response; redacted ones are named, not shown. */
export function responseThinking(output: unknown): string {
  const r = responseOf(output);
  if (!r) return '';
  return r.content
    .map((b) => (b.type === 'thinking' && typeof b.thinking === 'string' ? b.thinking : b.type === 'redacted_thinking' ? '[redacted thinking]' : ''))
    .filter((t) => t !== '')
    .join('\n\n');
}

/** responseRetries lists the failed attempts a model response records, as retries. */
export function responseRetries(output: unknown): Retry[] {
  const r = responseOf(output);
  if (!r || !Array.isArray(r.attempts)) return [];
  return r.attempts.map((a, i) => ({ attempt: i + 2, waitMs: Math.round((a.wait_ns ?? 0) / 1e6), error: a.error }));
}

/** responseCalls lists the tool calls of a model response. */
export function responseCalls(output: unknown): ToolUseBlock[] {
  const r = responseOf(output);
  if (!r) return [];
  return r.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
}

/** modelInput reads an llm step's recorded input. */
export function modelInput(input: unknown): ModelInput | undefined {
  const o = input as ModelInput | undefined;
  return o && typeof o === 'object' && typeof o.model === 'string' ? o : undefined;
}

/** approvalRefused reports whether a decided approval step kept its tool call from running. */
export function approvalRefused(output: unknown): boolean {
  return (output as ApprovalRecord | undefined)?.outcome?.run === false;
}

/** approvalCall returns the tool call an approval step gates. */
export function approvalCall(s: TraceStep): { tool: string; input: unknown } {
  const req = s.input as ApprovalRequest | undefined;
  return { tool: req?.tool ?? s.name, input: req?.input };
}

function attr<T>(sp: Span, key: string, want: 'string' | 'number' | 'boolean'): T | undefined {
  const v = sp.attributes?.[key];
  return typeof v === want ? (v as T) : undefined;
}

const STEP_KINDS = new Set<string>(['config', 'llm', 'tool', 'approval', 'compact', 'step']);

/** stepFromSpan converts the span of a journal step; it returns undefined for the run span and
 * for derived spans (commands). The journal's own facts come from the corral.step.* attributes. */
export function stepFromSpan(sp: Span): TraceStep | undefined {
  if (!STEP_KINDS.has(sp.kind) || sp.seq <= 0) return undefined;
  const kind = (sp.kind === 'step' ? (attr<string>(sp, 'corral.step.kind', 'string') ?? 'step') : sp.kind) as StepKind;
  const status = (attr<string>(sp, 'corral.step.status', 'string') ?? (sp.status === 'ok' ? 'completed' : sp.status === 'error' ? 'failed' : 'started')) as StepStatus;
  const s: TraceStep = {
    seq: sp.seq,
    kind,
    name: attr<string>(sp, 'corral.step.name', 'string') ?? sp.name,
    status,
    attempt: attr<number>(sp, 'corral.step.attempt', 'number') ?? 1,
    idempotent: attr<boolean>(sp, 'corral.step.idempotent', 'boolean'),
    input: sp.input,
    output: sp.output,
    text: '',
    isError: false,
    error: sp.error || undefined,
    usage: sp.usage,
    cost: sp.cost_usd ?? 0,
    start: time(sp.start),
    end: sp.end ? time(sp.end) : null,
    resolution: attr<string>(sp, 'corral.step.resolution', 'string'),
    fromHistory: true,
    spanId: sp.span_id,
  };
  if (kind === 'llm') {
    s.text = responseText(sp.output);
    s.thinking = responseThinking(sp.output) || undefined;
    const retries = responseRetries(sp.output);
    if (retries.length > 0) s.retries = retries;
    s.calls = responseCalls(sp.output);
    s.model = sp.model || responseOf(sp.output)?.model || modelInput(sp.input)?.model;
  } else if (kind === 'tool') {
    s.isError = (sp.output as { is_error?: unknown } | undefined)?.is_error === true;
  } else if (kind === 'approval') {
    s.isError = approvalRefused(sp.output);
  }
  return s;
}

function commandOf(sp: Span): CommandSpan {
  return {
    exitCode: attr<number>(sp, 'process.exit.code', 'number'),
    timedOut: attr<boolean>(sp, 'corral.command.timed_out', 'boolean') ?? false,
    start: time(sp.start),
    end: sp.end ? time(sp.end) : null,
    sandbox: attr<string>(sp, 'corral.sandbox', 'string'),
  };
}

/** stepsFromTrace reads a run's steps from its trace: one per step span, in seq order, with the
 * model call that asked for each tool call and the command each exec ran. */
export function stepsFromTrace(tr: Pick<Trace, 'spans'>): TraceStep[] {
  const out: TraceStep[] = [];
  const seqOf = new Map<string, number>();
  const bySpan = new Map<string, TraceStep>();
  for (const sp of tr.spans) {
    if (sp.group) continue; // a subagent's (subagentsFromTrace)
    if (sp.kind === 'command') {
      const owner = sp.parent_span_id ? bySpan.get(sp.parent_span_id) : undefined;
      if (owner) owner.command = commandOf(sp);
      continue;
    }
    const s = stepFromSpan(sp);
    if (!s) continue;
    seqOf.set(sp.span_id, s.seq);
    bySpan.set(sp.span_id, s);
    if (sp.requested_by) s.requestedBy = seqOf.get(sp.requested_by);
    out.push(s);
  }
  out.sort((a, b) => a.seq - b.seq);
  return out;
}

/** stepFromOutline converts a step of a run's outline: a partial step, without its content. */
export function stepFromOutline(o: OutlineStep): TraceStep {
  return {
    seq: o.seq,
    kind: o.kind,
    name: o.name,
    status: o.status,
    attempt: o.attempt || 1,
    text: '',
    isError: o.is_error === true,
    error: o.error || undefined,
    usage: o.usage,
    cost: o.cost_usd ?? 0,
    start: o.start ? o.start : NaN,
    end: o.end && o.status !== 'started' ? o.end : null,
    resolution: o.resolution || undefined,
    fromHistory: true,
    partial: true,
    requestedBy: o.requested_by || undefined,
  };
}

/** TraceSubagent is a subagent's run that one of the run's task calls started: a group of spans
 * in the run's trace, under the task step that waited for it (backend/trace.Graft). */
export interface TraceSubagent {
  runId: string;
  agent: string;
  status: string;
  /** hostSeq is the seq of the parent's step the group hangs under. */
  hostSeq: number;
  /** steps are the subagent's own steps (its own subagents are left out). */
  steps: TraceStep[];
  usage?: Usage;
  cost: number;
}

/** subagentsFromTrace reads the subagents grafted into a run's trace, in trace order; a
 * subagent's own subagents hang under its steps, not the run's, and are left out. */
export function subagentsFromTrace(tr: Pick<Trace, 'spans'>): TraceSubagent[] {
  const out: TraceSubagent[] = [];
  const seqOf = new Map<string, number>();
  for (const sp of tr.spans) {
    if (!sp.group && sp.seq > 0) seqOf.set(sp.span_id, sp.seq);
  }
  for (const sp of tr.spans) {
    if (sp.kind !== 'run' || !sp.group || !sp.parent_span_id) continue;
    const hostSeq = seqOf.get(sp.parent_span_id);
    if (hostSeq === undefined) continue; // nested deeper: under a subagent's step
    const own = tr.spans.filter((x) => x.group === sp.group).map((x) => ({ ...x, group: undefined }));
    out.push({
      runId: sp.group,
      agent: attr<string>(sp, 'gen_ai.agent.name', 'string') ?? '',
      status: attr<string>(sp, 'corral.run.status', 'string') ?? '',
      hostSeq,
      steps: stepsFromTrace({ spans: own }),
      usage: sp.usage,
      cost: sp.cost_usd ?? 0,
    });
  }
  return out;
}

/** TraceResume is one time the run was driven again after it had stopped part way (a crash or
 * kill left it running, a step was cut off, or it was cancelled): a resume span of the trace. */
export interface TraceResume {
  /** afterSeq is the last step completed before the resume (0: none). */
  afterSeq: number;
  /** at is when the run resumed, epoch ms. */
  at: number;
  /** reason says why it had stopped: 'interrupted', 'cancelled', 'paused'. */
  reason: string;
  spanId: string;
}

/** resumesFromTrace reads a run's resumes from its trace, in the order they happened. */
export function resumesFromTrace(tr: Pick<Trace, 'spans'>): TraceResume[] {
  const out: TraceResume[] = [];
  for (const sp of tr.spans) {
    if (sp.kind !== 'resume') continue;
    out.push({
      afterSeq: attr<number>(sp, 'corral.resume.after_seq', 'number') ?? 0,
      at: time(sp.start),
      reason: attr<string>(sp, 'corral.resume.reason', 'string') ?? '',
      spanId: sp.span_id,
    });
  }
  return out;
}

/** TraceRestore is one time a person put the run's workspace back to a checkpoint: a restore
 * span of the trace (backend/trace.KindRestore). */
export interface TraceRestore {
  /** seq is the step restored to; phase says before or after it. */
  seq: number;
  phase: string;
  /** changed counts the paths the restore wrote or removed. */
  changed: number;
  /** at is when, epoch ms. */
  at: number;
  spanId: string;
}

/** restoresFromTrace reads a run's restores from its trace, in the order they happened. */
export function restoresFromTrace(tr: Pick<Trace, 'spans'>): TraceRestore[] {
  const out: TraceRestore[] = [];
  for (const sp of tr.spans) {
    if (sp.kind !== 'restore') continue;
    out.push({
      seq: attr<number>(sp, 'corral.restore.seq', 'number') ?? 0,
      phase: attr<string>(sp, 'corral.restore.phase', 'string') ?? 'before',
      changed: attr<number>(sp, 'corral.restore.changed', 'number') ?? 0,
      at: time(sp.start),
      spanId: sp.span_id,
    });
  }
  return out;
}

/** restoredSteps groups restores by the step they went back to, for the graph's and the
 * timeline's markers. */
export function restoredSteps(restores: readonly TraceRestore[]): Map<number, TraceRestore[]> {
  const out = new Map<number, TraceRestore[]>();
  for (const r of restores) out.set(r.seq, [...(out.get(r.seq) ?? []), r]);
  return out;
}

/** restoreTitle says what restores to one step did: "Workspace restored to before this step
 * (3 paths), 12/7/2026, 9:00:00 PM", one line each. */
export function restoreTitle(rs: readonly TraceRestore[]): string {
  return rs.map((r) => `Workspace restored to ${r.phase} this step (${r.changed} ${r.changed === 1 ? 'path' : 'paths'}), ${new Date(r.at).toLocaleString()}`).join('\n');
}

/** resumeLabel names a resume for people: "resumed (interrupted)". */
export function resumeLabel(r: Pick<TraceResume, 'reason'>): string {
  return r.reason ? `resumed (${r.reason})` : 'resumed';
}

function blank(seq: number, kind: StepKind, name: string, t: number): TraceStep {
  return { seq, kind, name, status: 'started', attempt: 1, text: '', isError: false, cost: 0, start: t, end: null, fromHistory: false };
}

/**
 * StepList is a run's steps in seq order with an index by seq. Mutating
 * methods replace step objects rather than changing them, so a view keyed by
 * step sees exactly which steps changed.
 */
export class StepList {
  #steps: TraceStep[] = [];
  #index = new Map<number, number>();

  /** steps returns the steps in seq order. The array is the list's own: copy it before keeping it. */
  get steps(): readonly TraceStep[] {
    return this.#steps;
  }

  /** get returns the step with seq, if known. */
  get(seq: number): TraceStep | undefined {
    const i = this.#index.get(seq);
    return i === undefined ? undefined : this.#steps[i];
  }

  /** put stores a step, replacing the one with the same seq. */
  put(step: TraceStep): void {
    const i = this.#index.get(step.seq);
    if (i !== undefined) {
      this.#steps[i] = step;
      return;
    }
    const last = this.#steps[this.#steps.length - 1];
    if (!last || last.seq < step.seq) {
      this.#index.set(step.seq, this.#steps.length);
      this.#steps.push(step);
      return;
    }
    this.#steps.push(step);
    this.#steps.sort((a, b) => a.seq - b.seq);
    this.#reindex();
  }

  #reindex(): void {
    this.#index.clear();
    this.#steps.forEach((s, i) => this.#index.set(s.seq, i));
  }

  #upsert(seq: number, kind: StepKind, name: string, t: number, change: (s: TraceStep) => void): void {
    const old = this.get(seq);
    const s: TraceStep = old ? { ...old } : blank(seq, kind, name, t);
    change(s);
    this.put(s);
  }

  /**
   * mergeHistory takes the journal's steps: a step the journal has finished
   * replaces what events said; a step it still has as started keeps what events
   * added (streamed text, say). Steps only events know about stay.
   */
  mergeHistory(history: readonly TraceStep[]): void {
    const next: TraceStep[] = [];
    const seen = new Set<number>();
    for (const h of history) {
      seen.add(h.seq);
      const live = this.get(h.seq);
      if (!live || h.status !== 'started' || live.kind !== h.kind) {
        next.push(h);
        continue;
      }
      next.push({
        ...h,
        text: live.text || h.text,
        thinking: live.thinking || h.thinking,
        status: live.status,
        end: live.end,
        output: live.output ?? h.output,
        isError: live.isError,
        usage: live.usage ?? h.usage,
        cost: live.cost || h.cost,
        retries: live.retries,
        live: live.live,
        liveElapsed: live.liveElapsed,
        liveDropped: live.liveDropped,
        liveEgress: live.liveEgress,
        model: live.model ?? h.model,
        attempt: Math.max(live.attempt, h.attempt),
      });
    }
    for (const s of this.#steps) if (!seen.has(s.seq)) next.push(s);
    next.sort((a, b) => a.seq - b.seq);
    this.#steps = next;
    this.#reindex();
  }

  /**
   * mergeOutline takes a run's outline as mergeHistory takes its history, except that a step
   * whose content is loaded and that the outline says the same of (status, attempt) is
   * kept with its content (a finished step changes only by running again: a new attempt).
   * It returns the seqs of steps that became partial again.
   */
  mergeOutline(outline: readonly TraceStep[]): number[] {
    const stale: number[] = [];
    const kept = outline.map((o) => {
      const cur = this.get(o.seq);
      if (cur && cur.fromHistory && !cur.partial && cur.status === o.status && cur.attempt === o.attempt) return cur;
      if (cur && !cur.partial && cur.fromHistory) stale.push(o.seq);
      return o;
    });
    this.mergeHistory(kept);
    return stale;
  }

  /**
   * fillContent puts the content of loaded steps (from Traces.Steps) in place of their
   * partial steps, keeping what the outline knew from the steps around them (the model call
   * a tool call answers). A step that is no longer partial, or not known, is left alone.
   */
  fillContent(full: readonly TraceStep[]): boolean {
    let changed = false;
    for (const f of full) {
      const cur = this.get(f.seq);
      if (!cur || !cur.partial) continue;
      this.put({ ...f, requestedBy: f.requestedBy ?? cur.requestedBy });
      changed = true;
    }
    return changed;
  }

  /** apply applies one run event; it reports whether any step changed. */
  apply(ev: RunEvent): boolean {
    const seq = ev.seq;
    if (seq === undefined || seq <= 0) return false;
    const t = time(ev.time);
    switch (ev.type) {
      case 'model.started':
        this.#upsert(seq, 'llm', 'model', t, (s) => {
          s.status = 'started';
          s.model = ev.model ?? s.model;
          if (Number.isNaN(s.start)) s.start = t;
        });
        return true;
      case 'text.delta':
        if (!ev.text) return false;
        this.#upsert(seq, 'llm', 'model', t, (s) => {
          if (s.status === 'started') s.text += ev.text;
        });
        return true;
      case 'thinking.delta':
        if (!ev.text) return false;
        this.#upsert(seq, 'llm', 'model', t, (s) => {
          if (s.status === 'started') s.thinking = (s.thinking ?? '') + ev.text;
        });
        return true;
      case 'model.retry':
        this.#upsert(seq, 'llm', 'model', t, (s) => {
          s.attempt = ev.attempt ?? s.attempt + 1;
          s.retries = [...(s.retries ?? []), { attempt: ev.attempt ?? 0, waitMs: ev.wait_ms ?? 0, error: ev.error ?? '' }];
          s.text = '';
          s.thinking = undefined;
        });
        return true;
      case 'model.finished':
        this.#upsert(seq, 'llm', 'model', t, (s) => {
          if (s.fromHistory && s.status !== 'started') return;
          s.status = 'completed';
          if (ev.text !== undefined) s.text = ev.text;
          s.model = ev.model ?? s.model;
          s.usage = ev.usage ?? s.usage;
          s.cost = ev.cost_usd ?? s.cost;
          s.replayed = ev.replayed;
          finish(s, t, ev.duration_ms);
        });
        return true;
      case 'tool.started':
        this.#upsert(seq, 'tool', ev.tool ?? 'tool', t, (s) => {
          s.status = 'started';
          s.name = ev.tool ?? s.name;
          s.input = ev.input ?? s.input;
          if (Number.isNaN(s.start)) s.start = t;
        });
        return true;
      case 'tool.output':
        if (!ev.text && !ev.dropped) return false;
        this.#upsert(seq, 'tool', ev.tool ?? 'tool', t, (s) => {
          if (s.status !== 'started') return;
          const text = (s.live ?? '') + (ev.dropped ? `\n[… ${ev.dropped} bytes not shown live …]\n` : '') + (ev.text ?? '');
          s.live = text.length > LIVE_TAIL ? text.slice(text.length - LIVE_TAIL) : text;
          s.liveElapsed = ev.elapsed_ms ?? s.liveElapsed;
          s.liveDropped = (s.liveDropped ?? 0) + (ev.dropped ?? 0);
        });
        return true;
      case 'compact.started':
        this.#upsert(seq, 'compact', 'compact', t, (s) => {
          s.status = 'started';
          s.model = ev.model ?? s.model;
          s.input = s.input ?? { reason: ev.reason, tokens: ev.context_tokens };
          if (Number.isNaN(s.start)) s.start = t;
        });
        return true;
      case 'compact.finished':
        this.#upsert(seq, 'compact', 'compact', t, (s) => {
          if (s.fromHistory && s.status !== 'started') return;
          s.status = 'completed';
          if (ev.text !== undefined) s.text = ev.text;
          s.usage = ev.usage ?? s.usage;
          s.cost = ev.cost_usd ?? s.cost;
          s.replayed = ev.replayed;
          finish(s, t, ev.duration_ms);
        });
        return true;
      case 'tool.egress': {
        const conn = ev.egress;
        if (!conn) return false;
        this.#upsert(seq, 'tool', ev.tool ?? 'tool', t, (s) => {
          if (s.status !== 'started' || (s.liveEgress?.length ?? 0) >= LIVE_EGRESS) return;
          s.liveEgress = [...(s.liveEgress ?? []), conn];
        });
        return true;
      }
      case 'tool.finished':
        this.#upsert(seq, 'tool', ev.tool ?? 'tool', t, (s) => {
          if (s.fromHistory && s.status !== 'started') return;
          s.status = 'completed';
          s.name = ev.tool ?? s.name;
          s.input = ev.input ?? s.input;
          if (ev.result) {
            // The event's meta (exit code, +N −M, a small diff) shows at once; a diff too long for
            // the event comes with the next history load, so a recorded one is kept.
            const had = (s.output as { meta?: ToolMeta } | undefined)?.meta;
            const meta = ev.result.meta ? { ...ev.result.meta, diff: ev.result.meta.diff ?? had?.diff } : had;
            s.output = { content: ev.result.content, is_error: ev.result.is_error, ...(meta ? { meta } : {}) };
            s.isError = ev.result.is_error;
          }
          s.replayed = ev.replayed;
          finish(s, t, ev.duration_ms);
        });
        return true;
      case 'approval.requested':
        this.#upsert(seq, 'approval', ev.tool ?? 'approval', t, (s) => {
          s.status = 'started';
          s.name = ev.tool ?? s.name;
          s.input = ev.approval ?? s.input ?? { tool: ev.tool, input: ev.input };
          if (Number.isNaN(s.start)) s.start = t;
        });
        return true;
      case 'approval.decided':
        this.#upsert(seq, 'approval', ev.tool ?? 'approval', t, (s) => {
          if (s.fromHistory && s.status !== 'started') return;
          s.status = 'completed';
          s.output = ev.decision ?? s.output;
          s.isError = ev.decision?.outcome?.run === false;
          s.replayed = ev.replayed;
          finish(s, t, ev.duration_ms);
        });
        return true;
      default:
        return false;
    }
  }
}

function finish(s: TraceStep, t: number, durationMs: number | undefined): void {
  s.end = t;
  if (durationMs !== undefined && (Number.isNaN(s.start) || s.start > t)) s.start = t - durationMs;
  if (Number.isNaN(s.start)) s.start = t;
}

/** stepDuration is how long a step took, or has been running at now; NaN when unknown. */
export function stepDuration(s: TraceStep, now: number): number {
  if (Number.isNaN(s.start)) return NaN;
  return (s.end ?? now) - s.start;
}

/** isErrorStep reports whether a step failed or returned an error result. */
export function isErrorStep(s: TraceStep): boolean {
  return s.status === 'failed' || s.isError || !!s.error;
}
