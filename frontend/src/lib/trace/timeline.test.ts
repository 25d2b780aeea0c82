import { describe, expect, it } from 'vitest';
import type { TraceStep } from './steps';
import { ticks, timelineModel } from './timeline';

const T = Date.parse('2026-11-23T10:00:00Z');
const step = (seq: number, start: number, end: number | null, over: Partial<TraceStep> = {}): TraceStep => ({
  seq,
  kind: 'tool',
  name: 'exec',
  status: end === null ? 'started' : 'completed',
  attempt: 1,
  text: '',
  isError: false,
  cost: 0,
  start,
  end,
  fromHistory: true,
  input: { command: 'make' },
  ...over,
});

describe('timelineModel', () => {
  it('spans the steps and runs a started step to now', () => {
    const m = timelineModel([step(1, T, T + 100), step(2, T + 100, null)], T + 1000);
    expect(m.t0).toBe(T);
    expect(m.t1).toBe(T + 1000);
    expect(m.rows[1]).toMatchObject({ start: T + 100, end: T + 1000, label: 'exec · make' });
  });

  it('puts a step without a start where the previous one ended', () => {
    const m = timelineModel([step(1, T, T + 50), step(2, NaN, null, { status: 'completed' })], T + 999);
    expect(m.rows[1]).toMatchObject({ start: T + 50, end: T + 50 });
  });

  it('marks resumes at their times, widening the axis to show one past the steps', () => {
    const m = timelineModel([step(1, T, T + 100), step(2, T + 300, T + 400)], 0, [
      { afterSeq: 1, at: T + 200, reason: 'interrupted', spanId: 'a' },
      { afterSeq: 2, at: T + 500, reason: 'cancelled', spanId: 'b' },
    ]);
    expect(m.marks).toEqual([
      { at: T + 200, afterSeq: 1, label: 'resumed (interrupted)' },
      { at: T + 500, afterSeq: 2, label: 'resumed (cancelled)' },
    ]);
    expect([m.t0, m.t1]).toEqual([T, T + 500]);
    expect(timelineModel([step(1, T, T + 100)], 0).marks).toEqual([]);
  });

  it('labels model calls by model and marks errors', () => {
    const m = timelineModel([step(2, T, T + 1, { kind: 'llm', name: 'model', model: 'claude' }), step(3, T, T + 1, { isError: true })], T);
    expect(m.rows.map((r) => [r.label, r.error])).toEqual([
      ['model · claude', false],
      ['exec · make', true],
    ]);
  });
});

describe('ticks', () => {
  it('picks round steps at least minGap px apart', () => {
    expect(ticks(10_000, 1000, 90).map((t) => t.label)).toEqual(['0', '+1.0s', '+2.0s', '+3.0s', '+4.0s', '+5.0s', '+6.0s', '+7.0s', '+8.0s', '+9.0s', '+10s']);
    expect(ticks(60 * 60_000, 400, 90).map((t) => t.label)).toEqual(['0', '+15m 00s', '+30m 00s', '+45m 00s', '+1h 00m']);
  });
});
