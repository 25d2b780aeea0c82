import { describe, expect, it } from 'vitest';
import type { ApprovalRequest, BudgetCap } from './api';
import { raiseAnswer } from './approval/answer';
import { budgetText, contextShare, contextText, spendText } from './budget';

const cap = (over: Partial<BudgetCap>): BudgetCap => ({
  cap: 'run_cost',
  limit: 1,
  spent: 1.26,
  model: 'claude-sonnet-4-5',
  cost_known: true,
  run_cost_usd: 1.26,
  run_tokens: 404000,
  ...over,
});

describe('budgetText', () => {
  it.each([
    ['cost cap', cap({}), { cap: 'the run’s cost cap: $1.00', spent: '$1.26', run: '404k tokens · $1.26' }],
    ['token cap, price unknown', cap({ cap: 'run_tokens', limit: 150000, spent: 202000, cost_known: false, run_tokens: 202000 }),
      { cap: 'the run’s token cap: 150k tokens', spent: '202k tokens', run: '202k tokens · cost unknown' }],
    ['daily cap', cap({ cap: 'daily_cost', limit: 5, spent: 5.5 }), { cap: 'today’s cost cap (all runs): $5.00', spent: '$5.50', run: '404k tokens · $1.26' }],
  ])('%s', (_name, b, want) => {
    expect(budgetText(b)).toEqual(want);
  });
});

describe('spendText and the context gauge', () => {
  it.each([
    ['no caps', { model: 'm', cost_known: true, cost_usd: 0.42, tokens: 10 }, '$0.42'],
    ['cost cap', { model: 'm', cost_known: true, cost_usd: 1.26, tokens: 10, max_cost_usd: 2 }, '$1.26 / $2.00'],
    ['unknown price, token cap', { model: 'm', cost_known: false, cost_usd: 0, tokens: 120000, max_tokens: 200000 }, 'cost unknown · 120k / 200k tokens'],
  ])('%s', (_name, s, want) => {
    expect(spendText(s)).toBe(want);
  });
  it('shares the window', () => {
    expect(contextShare({ context_tokens: 50000, context_window: 200000 })).toBe(0.25);
    expect(contextShare({ context_tokens: 50000 })).toBeNull();
    expect(contextText({ context_tokens: 50000, context_window: 200000 })).toBe('50k / 200k (25%)');
    expect(contextText({})).toBe('context not measured yet');
  });
});

describe('raiseAnswer', () => {
  const req = (b: BudgetCap): ApprovalRequest => ({ tool: 'budget', input: b, action_hash: 'h', budget: b });
  it('raises a cost cap in dollars and a token cap in tokens', () => {
    expect(raiseAnswer(req(cap({})), 'browser', 1.5)).toEqual({ kind: 'approve', action_hash: 'h', by: 'browser', raise: { cost_usd: 1.5 } });
    expect(raiseAnswer(req(cap({ cap: 'run_tokens' })), 'window', 1000.4)).toEqual({ kind: 'approve', action_hash: 'h', by: 'window', raise: { tokens: 1000 } });
  });
  it('refuses nothing or a tool call', () => {
    expect(() => raiseAnswer(req(cap({})), 'browser', 0)).toThrow();
    expect(() => raiseAnswer({ tool: 'exec', input: {}, action_hash: 'h' }, 'browser', 1)).toThrow();
  });
});
