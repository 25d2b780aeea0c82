// Pure wording of spend caps and context use: the approval dialog's budget gate, the run
// header's gauge and the sidebar's spend.

import type { BudgetCap, SpendStatus } from './api';
import { costText, countText } from './format';

/** budgetText words a budget gate: the cap, what was spent against it, and the run's spend. */
export function budgetText(b: BudgetCap): { cap: string; spent: string; run: string } {
  const tokens = b.cap === 'run_tokens';
  const which = { run_cost: 'the run’s cost cap', run_tokens: 'the run’s token cap', daily_cost: 'today’s cost cap (all runs)' }[b.cap];
  return {
    cap: `${which}: ${tokens ? `${countText(b.limit)} tokens` : costText(b.limit)}`,
    spent: tokens ? `${countText(b.spent)} tokens` : costText(b.spent),
    run: `${countText(b.run_tokens)} tokens · ${b.cost_known ? costText(b.run_cost_usd) : 'cost unknown'}`,
  };
}

/** spendText is a run's spend against its caps, short: "$1.26 / $2.00", "cost unknown · 120k / 200k tokens". */
export function spendText(s: SpendStatus): string {
  const parts: string[] = [];
  if (!s.cost_known) parts.push('cost unknown');
  else parts.push(s.max_cost_usd ? `${costText(s.cost_usd)} / ${costText(s.max_cost_usd)}` : costText(s.cost_usd));
  if (s.max_tokens) parts.push(`${countText(s.tokens)} / ${countText(s.max_tokens)} tokens`);
  return parts.join(' · ');
}

/** contextShare is the latest request's share of the model's window (0 to 1), or null when either is unknown. */
export function contextShare(s: Pick<SpendStatus, 'context_tokens' | 'context_window'>): number | null {
  if (!s.context_tokens || !s.context_window) return null;
  return Math.min(1, s.context_tokens / s.context_window);
}

/** contextText is "45k / 200k (23%)", or what is known of it. */
export function contextText(s: Pick<SpendStatus, 'context_tokens' | 'context_window'>): string {
  if (!s.context_tokens) return 'context not measured yet';
  const share = contextShare(s);
  if (share === null) return `${countText(s.context_tokens)} tokens of context (window unknown)`;
  return `${countText(s.context_tokens)} / ${countText(s.context_window ?? 0)} (${Math.round(share * 100)}%)`;
}
