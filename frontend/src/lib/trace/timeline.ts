// The timeline: one bar per step on a shared time axis, so where a run spent
// its time (waiting on the model, running a command) is seen at a glance, and
// a vertical line wherever the run was resumed.

import type { StepKind, StepStatus } from '../api';
import { durationText } from '../format';
import { summarizeTool } from '../tools';
import { approvalCall, isErrorStep, resumeLabel, type TraceResume, type TraceStep } from './steps';

/** TimelineRow is one step's bar. start and end are epoch ms; a running step ends at now. */
export interface TimelineRow {
  seq: number;
  kind: StepKind;
  status: StepStatus;
  error: boolean;
  label: string;
  start: number;
  end: number;
  /** partial says the step's content is not loaded yet (an outline's step). */
  partial?: boolean;
}

/** TimelineMark is a resume: a vertical line at its time. */
export interface TimelineMark {
  at: number;
  afterSeq: number;
  label: string;
}

/** TimelineModel is the rows, the resume marks and the time span they cover. */
export interface TimelineModel {
  rows: TimelineRow[];
  marks: TimelineMark[];
  t0: number;
  t1: number;
}

function rowLabel(s: TraceStep): string {
  if (s.kind === 'llm') return s.model ? `model · ${s.model}` : 'model';
  if (s.kind === 'config') return 'config';
  if (s.kind === 'approval') {
    const call = approvalCall(s);
    return `approval · ${call.tool} ${summarizeTool(call.tool, call.input, undefined).subject}`;
  }
  const sum = summarizeTool(s.name, s.input, s.output);
  return sum.subject ? `${s.name} · ${sum.subject}` : s.name;
}

/**
 * timelineModel places steps on a time axis. A step with no recorded start
 * (rare: events lost) is put where the previous step ended.
 */
export function timelineModel(steps: readonly TraceStep[], now: number, resumes: readonly TraceResume[] = []): TimelineModel {
  const rows: TimelineRow[] = new Array<TimelineRow>(steps.length);
  let t0 = Infinity;
  let t1 = -Infinity;
  let prevEnd = NaN;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    let start = s.start;
    if (Number.isNaN(start)) start = Number.isNaN(prevEnd) ? now : prevEnd;
    let end = s.end ?? (s.status === 'started' ? now : start);
    if (end < start) end = start;
    rows[i] = { seq: s.seq, kind: s.kind, status: s.status, error: isErrorStep(s), label: s.partial ? `${s.kind === 'llm' ? 'model' : s.name} · …` : rowLabel(s), start, end, partial: s.partial === true };
    if (start < t0) t0 = start;
    if (end > t1) t1 = end;
    prevEnd = end;
  }
  if (rows.length === 0) {
    t0 = now;
    t1 = now;
  }
  const marks: TimelineMark[] = [];
  for (const r of resumes) {
    if (Number.isNaN(r.at)) continue;
    marks.push({ at: r.at, afterSeq: r.afterSeq, label: resumeLabel(r) });
    // A resume before the first shown step or after the last widens the axis to show it.
    if (rows.length > 0) {
      if (r.at < t0) t0 = r.at;
      if (r.at > t1) t1 = r.at;
    }
  }
  if (t1 - t0 < 1) t1 = t0 + 1;
  return { rows, marks, t0, t1 };
}

/** Tick is a labelled point on the time axis, ms after t0. */
export interface Tick {
  ms: number;
  label: string;
}

const STEPS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

/** ticks returns evenly spaced, round axis ticks over span ms drawn across px pixels, at least minGap px apart. */
export function ticks(span: number, px: number, minGap = 90): Tick[] {
  if (span <= 0 || px <= 0) return [{ ms: 0, label: '0' }];
  const want = (span * minGap) / px;
  const step = STEPS_MS.find((s) => s >= want) ?? Math.ceil(want / 86_400_000) * 86_400_000;
  const out: Tick[] = [];
  for (let ms = 0; ms <= span + 1e-6; ms += step) out.push({ ms, label: ms === 0 ? '0' : '+' + durationText(ms) });
  return out;
}
