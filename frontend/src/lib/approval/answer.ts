// Pure helpers of the approval dialog: the answer each button sends, the
// field an edit replaces, the scopes a remembered rule can have, and the
// preview's diff as unified text for DiffView.

import type { ApprovalAnswer, ApprovalRequest, DiffHunk, TransportName } from '../api';

/** AnswerBy is where an answer comes from, for the record. */
export type AnswerBy = ApprovalAnswer['by'];

/** answerBy names the answer's origin from the transport: the desktop window or a browser. */
export function answerBy(transport: TransportName): AnswerBy {
  return transport === 'wails' ? 'window' : 'browser';
}

/** approveAnswer approves the action as it is. */
export function approveAnswer(req: ApprovalRequest, by: AnswerBy): ApprovalAnswer {
  return { kind: 'approve', action_hash: req.action_hash ?? '', by };
}

/** denyAnswer refuses the action; a non-blank message is passed to the model. */
export function denyAnswer(req: ApprovalRequest, by: AnswerBy, message = ''): ApprovalAnswer {
  const a: ApprovalAnswer = { kind: 'deny', action_hash: req.action_hash ?? '', by };
  const m = message.trim();
  if (m) a.message = m;
  return a;
}

/** isBudget reports whether the request is a budget gate: a run at a spend cap, not a tool call. */
export function isBudget(req: ApprovalRequest): boolean {
  return req.budget !== undefined;
}

/** raiseAnswer raises the cap a budget gate reached by amount: dollars for a cost cap, tokens for
 * the token cap. */
export function raiseAnswer(req: ApprovalRequest, by: AnswerBy, amount: number): ApprovalAnswer {
  if (!req.budget) throw new Error('only a spend cap is raised');
  if (!(amount > 0)) throw new Error('raise the cap by more than nothing');
  const raise = req.budget.cap === 'run_tokens' ? { tokens: Math.round(amount) } : { cost_usd: amount };
  return { kind: 'approve', action_hash: req.action_hash ?? '', by, raise };
}

/** EDIT_FIELDS is the input field a person edits for each tool that can be edited. */
export const EDIT_FIELDS: Readonly<Record<string, string>> = {
  exec: 'command',
  write: 'content',
  edit: 'new_string',
};

/** MCP_ARGUMENTS is the "field" an MCP call's edit replaces: all its arguments, as JSON. */
export const MCP_ARGUMENTS = 'arguments (JSON)';

/** isMCP reports whether the request is a call to an MCP server's tool. */
export function isMCP(req: ApprovalRequest): boolean {
  return req.preview?.mcp !== undefined || req.tool.startsWith('mcp__');
}

function inputObject(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
}

/** editField returns the field an edit replaces and its current text, or null when the tool cannot be edited. */
export function editField(req: ApprovalRequest): { field: string; value: string } | null {
  if (isMCP(req)) return { field: MCP_ARGUMENTS, value: JSON.stringify(inputObject(req.input), null, 2) };
  const field = EDIT_FIELDS[req.tool];
  if (!field) return null;
  const v = inputObject(req.input)[field];
  return { field, value: typeof v === 'string' ? v : '' };
}

/** editedInput is the original input with the editable field replaced by value. */
export function editedInput(req: ApprovalRequest, value: string): Record<string, unknown> {
  const f = editField(req);
  if (!f) throw new Error(`the ${req.tool} tool cannot be edited`);
  if (f.field === MCP_ARGUMENTS) {
    const v: unknown = JSON.parse(value);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('the arguments must be a JSON object');
    return v as Record<string, unknown>;
  }
  return { ...inputObject(req.input), [f.field]: value };
}

/** editAnswer approves the action with the editable field replaced by value. */
export function editAnswer(req: ApprovalRequest, by: AnswerBy, value: string, message = ''): ApprovalAnswer {
  const a: ApprovalAnswer = { kind: 'edit', action_hash: req.action_hash ?? '', input: editedInput(req, value), by };
  const m = message.trim();
  if (m) a.message = m;
  return a;
}

/** ScopeKind is where a remembered rule applies. */
export type ScopeKind = 'session' | 'agent' | 'global';

/** scopeValue spells a scope for the backend; null when the session or agent is unknown. */
export function scopeValue(kind: ScopeKind, run: { session_id?: string; agent?: string } | undefined): string | null {
  if (kind === 'global') return 'global';
  const id = kind === 'session' ? run?.session_id : run?.agent;
  return id ? `${kind}:${id}` : null;
}

/** alwaysAllowAnswer approves the action and remembers rule as an allow rule in scope. */
export function alwaysAllowAnswer(req: ApprovalRequest, by: AnswerBy, rule: string, scope: string): ApprovalAnswer {
  return {
    kind: 'approve',
    action_hash: req.action_hash ?? '',
    remember: { scope, list: 'allow', rules: [rule] },
    by,
  };
}

function hunkRange(start: number, n: number): string {
  return n === 1 ? String(start) : `${start},${n}`;
}

/** unifiedDiff renders a preview's hunks as unified diff text (what DiffView shows). */
export function unifiedDiff(hunks: readonly DiffHunk[] | null | undefined): string {
  const out: string[] = [];
  for (const h of hunks ?? []) {
    out.push(`@@ -${hunkRange(h.old_start, h.old_lines)} +${hunkRange(h.new_start, h.new_lines)} @@`);
    for (const l of h.lines ?? []) {
      out.push(l.op + l.text);
      if (l.no_newline) out.push('\\ No newline at end of file');
    }
  }
  return out.join('\n');
}
