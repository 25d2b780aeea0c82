import { describe, expect, it } from 'vitest';
import type { TurnView } from '../api';
import { approveRest, decide, deniedBefore, editProblem, reviewsTurn, tally, turnAnswers, undecided, type Decisions } from './turn';

const edit = (path: string, old: string, nu: string, hash: string, seq = 0, index = 0) => ({
  index,
  tool_use_id: `toolu_${index}`,
  seq,
  request: { tool: 'edit', input: { path, old_string: old, new_string: nu }, action_hash: hash, preview: { tool: 'edit', title: `Edit ${path}`, decision: 'ask' as const, reason: 'r' } },
});

const turn: TurnView = {
  run_id: 'run_1',
  model_seq: 2,
  calls: [edit('a.txt', 'one', 'two', 'h0', 3, 0), edit('a.txt', 'two', 'three', 'h1', 0, 1), edit('b.txt', 'x', 'y', 'h2', 0, 2), edit('c.txt', 'sea', 'see', 'h3', 0, 3)],
};

describe('turn review', () => {
  it('lists a turn only when it has more than the waiting call', () => {
    expect(reviewsTurn(turn)).toBe(true);
    expect(reviewsTurn({ ...turn, calls: turn.calls.slice(0, 1) })).toBe(false);
    expect(reviewsTurn(null)).toBe(false);
  });

  it('sends one answer per call, in order, the waiting call first', () => {
    let d: Decisions = [];
    d = decide(d, 0, { kind: 'approve' });
    d = decide(d, 2, { kind: 'deny', message: '  not b.txt  ' });
    d = decide(d, 3, { kind: 'edit', value: 'SEE' });
    d = decide(d, 1, { kind: 'approve' });
    expect(turnAnswers(turn, d, 'browser')).toEqual([
      { kind: 'approve', action_hash: 'h0', by: 'browser' },
      { kind: 'approve', action_hash: 'h1', by: 'browser' },
      { kind: 'deny', action_hash: 'h2', message: 'not b.txt', by: 'browser' },
      { kind: 'edit', action_hash: 'h3', input: { path: 'c.txt', old_string: 'sea', new_string: 'SEE' }, by: 'browser' },
    ]);
    expect(tally(turn, d)).toBe('2 approved, 1 edited, 1 denied');
  });

  it('refuses to send while a call is undecided or an edit changes nothing', () => {
    const d = decide([], 0, { kind: 'approve' });
    expect(undecided(turn, d)).toBe(3);
    expect(() => turnAnswers(turn, d, 'window')).toThrow(/call 2 \(Edit a.txt\) has no decision/);
    const same = decide(approveRest(turn, d), 1, { kind: 'edit', value: 'three' });
    expect(editProblem(turn, 1, same[1])).toMatch(/changes nothing/);
    expect(() => turnAnswers(turn, same, 'window')).toThrow(/call 2: the edit changes nothing/);
  });

  it('approves the rest and keeps the decisions made', () => {
    const d = approveRest(turn, decide([], 2, { kind: 'deny', message: 'no' }));
    expect(d.map((x) => x?.kind)).toEqual(['approve', 'approve', 'deny', 'approve']);
    expect(undecided(turn, d)).toBe(0);
    expect(tally(turn, d)).toBe('3 approved, 1 denied');
  });

  it('warns when an earlier change of the same file is denied or edited', () => {
    const withFiles: TurnView = {
      ...turn,
      calls: turn.calls.map((c) => ({ ...c, request: { ...c.request, preview: { ...c.request.preview!, file: { path: (c.request.input as { path: string }).path, bytes_before: 1, bytes_after: 1, diff: { hunks: null, added: 0, removed: 0, lines: 0 }, shown: 0 } } } })),
    };
    expect(deniedBefore(withFiles, decide([], 0, { kind: 'approve' }), 1)).toBeNull();
    expect(deniedBefore(withFiles, decide([], 0, { kind: 'deny', message: '' }), 1)).toBe(1);
    expect(deniedBefore(withFiles, decide([], 0, { kind: 'deny', message: '' }), 2)).toBeNull(); // another file
  });
});
