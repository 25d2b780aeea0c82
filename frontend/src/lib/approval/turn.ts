// The logic of reviewing a model turn's calls in one dialog: a decision per call
// (approve, deny with an optional message, edit), "Approve all" for the calls not
// decided yet, and the answers sent, the waiting call's first (Runs.AnswerTurn).

import type { ApprovalAnswer, TurnView } from '../api';
import { approveAnswer, denyAnswer, editAnswer, editField, type AnswerBy } from './answer';

/** Decision is what the person chose for one call of the turn. */
export type Decision = { kind: 'approve' } | { kind: 'deny'; message: string } | { kind: 'edit'; value: string };

/** Decisions holds a decision per call, by the call's position in TurnView.calls. */
export type Decisions = readonly (Decision | undefined)[];

/** reviewsTurn reports whether a turn has more than the waiting call: the dialog then lists them all. */
export function reviewsTurn(turn: TurnView | null | undefined): turn is TurnView {
  return !!turn && turn.calls.length > 1;
}

/** decide returns decisions with call i's decision set. */
export function decide(decisions: Decisions, i: number, d: Decision | undefined): Decisions {
  const out = [...decisions];
  out[i] = d;
  return out;
}

/** approveRest approves every call of the turn not decided yet; decisions made stay. */
export function approveRest(turn: TurnView, decisions: Decisions): Decisions {
  return turn.calls.map((_, i) => decisions[i] ?? { kind: 'approve' });
}

/** undecided counts the calls without a decision. */
export function undecided(turn: TurnView, decisions: Decisions): number {
  return turn.calls.filter((_, i) => !decisions[i]).length;
}

/** editProblem says why an edit decision cannot be sent (unchanged, or not editable), or null. */
export function editProblem(turn: TurnView, i: number, d: Decision | undefined): string | null {
  if (d?.kind !== 'edit') return null;
  const f = editField(turn.calls[i].request);
  if (!f) return `the ${turn.calls[i].request.tool} call cannot be edited`;
  if (d.value === f.value) return 'the edit changes nothing: approve it instead';
  return null;
}

/** turnAnswers builds the answers to send, one per call in the turn's order; it throws when a
 * call has no decision or an edit cannot be sent. */
export function turnAnswers(turn: TurnView, decisions: Decisions, by: AnswerBy): ApprovalAnswer[] {
  return turn.calls.map((c, i) => {
    const d = decisions[i];
    if (!d) throw new Error(`call ${i + 1} (${c.request.preview?.title || c.request.tool}) has no decision`);
    const problem = editProblem(turn, i, d);
    if (problem) throw new Error(`call ${i + 1}: ${problem}`);
    if (d.kind === 'approve') return approveAnswer(c.request, by);
    if (d.kind === 'deny') return denyAnswer(c.request, by, d.message);
    return editAnswer(c.request, by, d.value);
  });
}

/** tally says in words what the decisions are, for the send button. */
export function tally(turn: TurnView, decisions: Decisions): string {
  const n = { approve: 0, deny: 0, edit: 0 };
  for (let i = 0; i < turn.calls.length; i++) {
    const d = decisions[i];
    if (d) n[d.kind]++;
  }
  const parts: string[] = [];
  if (n.approve) parts.push(`${n.approve} approved`);
  if (n.edit) parts.push(`${n.edit} edited`);
  if (n.deny) parts.push(`${n.deny} denied`);
  const left = undecided(turn, decisions);
  if (left) parts.push(`${left} undecided`);
  return parts.join(', ');
}

/** deniedBefore returns the number (from 1) of an earlier call of the turn that changes the same
 * file and is denied or edited, or null: call i was previewed with that call applied as the model
 * sent it, so it may fail or differ when it runs. */
export function deniedBefore(turn: TurnView, decisions: Decisions, i: number): number | null {
  const path = turn.calls[i]?.request.preview?.file?.path;
  if (!path) return null;
  for (let j = i - 1; j >= 0; j--) {
    const d = decisions[j];
    if (turn.calls[j].request.preview?.file?.path === path && (d?.kind === 'deny' || d?.kind === 'edit')) return j + 1;
  }
  return null;
}
