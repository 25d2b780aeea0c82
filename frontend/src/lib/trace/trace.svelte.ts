// RunTrace is the reactive holder of one run's steps. Views read `steps`,
// which is replaced (never mutated) whenever a batch of events or a history
// load changes something, so derived graphs and layouts recompute once per
// batch, not once per event.

import type { Span, Trace, TraceOutline, TraceRunInfo } from '../api';
import type { RunEvent } from '../events';
import { Pages } from './pages';
import { StepList, stepFromOutline, restoresFromTrace, resumesFromTrace, stepsFromTrace, subagentsFromTrace, type TraceRestore, type TraceResume, type TraceStep, type TraceSubagent } from './steps';

/** TraceState says where a trace's history stands. */
export type TraceState = 'empty' | 'loading' | 'ready' | 'error';

/** RunTrace holds the steps of one run. */
export class RunTrace {
  readonly runId: string;
  /** steps are the run's steps in seq order; a new array after every change. */
  steps = $state.raw<readonly TraceStep[]>([]);
  /** resumes are the times the run went on after it had stopped part way, from the journal
   * (the store reloads the trace when a run.resumed event arrives); a new array on change. */
  resumes = $state.raw<readonly TraceResume[]>([]);
  /** restores are where a person put the workspace back to a checkpoint. */
  restores = $state.raw<readonly TraceRestore[]>([]);
  /** subagents are the runs the run's task calls started, each a group under its task step. */
  subagents = $state.raw<readonly TraceSubagent[]>([]);
  /** run is what the trace says of the run as a whole (status, totals), once loaded. */
  run = $state.raw<TraceRunInfo | null>(null);
  /** state is where loading the journal history stands. */
  state = $state<TraceState>('empty');
  /** error is the message of the last failed history load. */
  error = $state<string | null>(null);
  /** lastUsed orders traces for eviction. */
  lastUsed = 0;

  /** outlined says the steps came from the run's outline (Traces.Outline): their content is
   * loaded a page at a time, as the views show them (pages). */
  outlined = false;
  /** pages are the content pages asked for, when outlined. */
  readonly pages = new Pages();

  #list = new StepList();

  constructor(runId: string) {
    this.runId = runId;
  }

  /** step returns the step with seq. */
  step(seq: number): TraceStep | undefined {
    return this.#list.get(seq);
  }

  /** applyEvents applies the events of this run in order and publishes the result once. */
  applyEvents(events: readonly RunEvent[]): boolean {
    let changed = false;
    for (const ev of events) {
      if (ev.run_id === this.runId && this.#list.apply(ev)) changed = true;
    }
    if (changed) this.steps = this.#list.steps.slice();
    return changed;
  }

  /** setOutline merges the run's outline (its steps without their content: see
   * StepList.mergeOutline) and its other spans (resumes, restores, subagents). */
  setOutline(o: TraceOutline): void {
    this.outlined = true;
    this.pages.forget(this.#list.mergeOutline(o.steps.map(stepFromOutline)));
    this.#setSpans(o.spans, o.run);
  }

  /** fillContent puts the content of loaded steps (the spans Traces.Steps returned) in place
   * of their partial steps; it reports whether any changed. */
  fillContent(spans: readonly Span[]): boolean {
    if (!this.#list.fillContent(stepsFromTrace({ spans: spans as Span[] }))) return false;
    this.steps = this.#list.steps.slice();
    return true;
  }

  #setSpans(spans: Span[], run: TraceRunInfo | undefined): void {
    const tr = { spans };
    const resumes = resumesFromTrace(tr);
    if (resumes.length !== this.resumes.length || resumes.some((r, i) => r.spanId !== this.resumes[i].spanId)) this.resumes = resumes;
    const restores = restoresFromTrace(tr);
    if (restores.length !== this.restores.length) this.restores = restores;
    const subagents = subagentsFromTrace(tr);
    if (subagents.length > 0 || this.subagents.length > 0) this.subagents = subagents;
    if (run) this.run = run;
    this.steps = this.#list.steps.slice();
    this.state = 'ready';
    this.error = null;
  }

  /** setHistory merges the run's trace, as backend/trace built it from the journal (see
   * StepList.mergeHistory). */
  setHistory(tr: Pick<Trace, 'spans'> & Partial<Pick<Trace, 'run'>>): void {
    this.outlined = false;
    this.#list.mergeHistory(stepsFromTrace(tr));
    this.#setSpans(tr.spans, tr.run);
  }
}
