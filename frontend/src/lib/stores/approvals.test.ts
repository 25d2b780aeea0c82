import { describe, expect, it, vi } from 'vitest';
import type { ApprovalAnswer, PendingApproval, TurnView } from '../api';
import type { RunEvent } from '../events';
import { ApprovalsStore, type ApprovalsApi } from './approvals.svelte';

function pending(run: string, seq: number, tool = 'exec'): PendingApproval {
  return { run_id: run, seq, request: { tool, input: { command: 'ls' }, action_hash: `h-${run}-${seq}`, preview: { tool, title: `Run ls (${run})`, decision: 'ask', reason: 'no rule' } } };
}

function requested(p: PendingApproval, replayed = false): RunEvent {
  return { type: 'approval.requested', run_id: p.run_id, seq: p.seq, time: '', tool: p.request.tool, approval: p.request, replayed };
}

function setup(list: PendingApproval[] = [], turns: Record<string, TurnView> = {}) {
  const calls: [string, ApprovalAnswer][] = [];
  let backend = list;
  const fake: ApprovalsApi = {
    approvals: vi.fn(async () => backend),
    answerApproval: vi.fn(async (runId: string, a: ApprovalAnswer) => {
      calls.push([runId, a]);
    }),
    turn: vi.fn(async (runId: string): Promise<TurnView> => turns[runId] ?? { run_id: runId, model_seq: 1, calls: [] }),
    answerTurn: vi.fn(async (runId: string, _modelSeq: number, answers: ApprovalAnswer[]) => {
      for (const a of answers) calls.push([runId, a]);
    }),
  };
  const notify = vi.fn();
  const store = new ApprovalsStore(fake, notify);
  return { store, fake, notify, calls, setBackend: (l: PendingApproval[]) => (backend = l) };
}

describe('ApprovalsStore', () => {
  it('loads the pending approvals and opens the dialog', async () => {
    const { store } = setup([pending('r1', 3), pending('r2', 5)]);
    await store.load();
    expect(store.count).toBe(2);
    expect(store.open).toBe(true);
    expect(store.current?.run_id).toBe('r1');
  });

  it('notifies on a load only when asked, and only for approvals not queued before', async () => {
    const { store, notify, setBackend } = setup([pending('r1', 3)]);
    await store.load();
    expect(notify).not.toHaveBeenCalled();
    setBackend([pending('r1', 3), pending('r2', 5)]); // r2 asked in another process
    await store.load({ notify: true });
    expect(notify).toHaveBeenCalledTimes(1);
    expect(notify.mock.calls[0][1]).toBe('Run ls (r2)');
    await store.load({ notify: true });
    expect(notify).toHaveBeenCalledTimes(1);
  });

  it('notifies a run at its spend cap as such', () => {
    const { store, notify } = setup();
    const budget = { cap: 'run_cost' as const, limit: 1, spent: 1.26, model: 'm', cost_known: true, run_cost_usd: 1.26, run_tokens: 404000 };
    const a: PendingApproval = {
      run_id: 'r9',
      seq: 14,
      request: { tool: 'budget', input: budget, action_hash: 'h', budget, preview: { tool: 'budget', title: 'The run reached its cost cap ($1.00)', decision: 'ask', reason: '' } },
    };
    store.applyBatch([requested(a)]);
    expect(notify).toHaveBeenCalledWith('Corral: a run reached its spend cap', 'The run reached its cost cap ($1.00)', 'corral-approval-r9');
    expect(store.current?.request.budget?.cap).toBe('run_cost');
  });

  it('adds on approval.requested, notifies, and removes on approval.decided', async () => {
    const { store, notify, setBackend } = setup();
    const a = pending('r1', 3);
    setBackend([a]);
    store.applyBatch([requested(a)]);
    expect(store.count).toBe(1);
    expect(store.open).toBe(true);
    expect(notify).toHaveBeenCalledWith('Corral: approval needed', 'Run ls (r1)', 'corral-approval-r1');

    const b = pending('r2', 7);
    store.applyBatch([requested(b, true)]);
    expect(store.count).toBe(2);
    expect(notify).toHaveBeenCalledTimes(1); // replayed requests do not notify

    setBackend([b]);
    store.applyBatch([{ type: 'approval.decided', run_id: 'r1', seq: 3, time: '' }]);
    expect(store.items.map((x) => x.run_id)).toEqual(['r2']);
    await Promise.resolve();
  });

  it('a load that raced a decision does not bring the decided approval back', async () => {
    const a = pending('r1', 3);
    const { store } = setup([a]);
    store.applyBatch([{ type: 'approval.decided', run_id: 'r1', seq: 3, time: '' }]);
    await store.load();
    expect(store.count).toBe(0);
    expect(store.open).toBe(false);
  });

  it('removes a run that ends, and closes when the queue empties', async () => {
    const { store } = setup([pending('r1', 3)]);
    await store.load();
    store.applyBatch([{ type: 'run.cancelled', run_id: 'r1', time: '', status: 'cancelled' }]);
    expect(store.count).toBe(0);
    expect(store.open).toBe(false);
  });

  it('keeps a run that suspends to wait', async () => {
    const { store } = setup([pending('r1', 3)]);
    await store.load();
    store.applyBatch([{ type: 'run.suspended', run_id: 'r1', time: '', status: 'awaiting_approval' }]);
    expect(store.count).toBe(1);
  });

  it('pages through the queue and shows a run on request', async () => {
    const { store } = setup([pending('r1', 1), pending('r2', 2), pending('r3', 3)]);
    await store.load();
    store.next();
    expect(store.index).toBe(1);
    store.previous();
    store.previous();
    expect(store.index).toBe(2);
    store.close();
    store.show('r2');
    expect(store.open).toBe(true);
    expect(store.current?.run_id).toBe('r2');
  });

  it('answers and drops the entry; a failure keeps it with the error', async () => {
    const { store, fake, calls } = setup([pending('r1', 3), pending('r2', 4)]);
    await store.load();
    const a = store.current!;
    const answer: ApprovalAnswer = { kind: 'approve', action_hash: a.request.action_hash!, by: 'browser' };
    expect(await store.answer(a, answer)).toBe(true);
    expect(calls).toEqual([['r1', answer]]);
    expect(store.items.map((x) => x.run_id)).toEqual(['r2']);

    vi.mocked(fake.answerApproval).mockRejectedValueOnce('approval: the answer is for a different action');
    expect(await store.answer(store.current!, answer)).toBe(false);
    expect(store.count).toBe(1);
    expect(store.error).toContain('different action');
  });

  it('loads the turn of an entry with later calls, answers them all at once and drops the entry', async () => {
    const p = pending('r1', 3, 'edit');
    const later = pending('r1', 0, 'edit');
    const view: TurnView = { run_id: 'r1', model_seq: 2, calls: [{ index: 0, tool_use_id: 't0', seq: 3, request: p.request }, { index: 1, tool_use_id: 't1', seq: 0, request: later.request }] };
    const { store, fake, calls } = setup([p], { r1: view });
    await store.load();
    await store.loadTurn(p);
    expect(store.turnFor(store.current)).toEqual(view);
    const answers: ApprovalAnswer[] = [
      { kind: 'approve', action_hash: 'h-r1-3', by: 'window' },
      { kind: 'deny', action_hash: 'h-r1-0', message: 'no', by: 'window' },
    ];
    expect(await store.answerTurn(p, view, answers)).toBe(true);
    expect(fake.answerTurn).toHaveBeenCalledWith('r1', 2, answers);
    expect(calls).toHaveLength(2);
    expect(store.count).toBe(0);
    expect(store.turnFor(p)).toBeNull();
  });

  it('keeps the one-call dialog when the turn has nothing more or is for another step', async () => {
    const p = pending('r1', 3);
    const { store } = setup([p], { r1: { run_id: 'r1', model_seq: 2, calls: [{ index: 0, tool_use_id: 't0', seq: 5, request: p.request }, { index: 1, tool_use_id: 't1', seq: 0, request: p.request }] } });
    await store.load();
    await store.loadTurn(p);
    expect(store.turnFor(p)).toBeNull();
  });
});
