// Words and numbers for what a step changed (Workspace.StepChanges), shared by
// the step inspector and the workspace panel.

import type { ChangeSource, StepChange } from './api';

/** SOURCE_LABEL says how a change is known, in a few words. */
export const SOURCE_LABEL: Record<ChangeSource, string> = {
  recorded: 'diff recorded when the step ran',
  input: 'new file, from its recorded content',
  reconstructed: 'rebuilt from earlier steps',
  partial: 'only the replaced text is known',
  unknown: 'changes not known',
  none: 'changed nothing',
};

/** changeTotals sums the added and removed lines of a step's files. */
export function changeTotals(c: Pick<StepChange, 'files'>): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const f of c.files ?? []) {
    added += f.added;
    removed += f.removed;
  }
  return { added, removed };
}

/** changeSummary is one line for a step in a list: what it touched and how much. */
export function changeSummary(c: StepChange): string {
  if (c.source === 'unknown') return c.tool === 'exec' ? 'not recorded' : 'not known';
  if (c.source === 'none') return 'changed nothing';
  const { added, removed } = changeTotals(c);
  const created = c.files.some((f) => f.op === 'created');
  return `${created ? 'new · ' : ''}+${added} −${removed}`;
}

/** CHANGING_TOOLS are the tools whose steps can change files. */
export const CHANGING_TOOLS: ReadonlySet<string> = new Set(['write', 'edit', 'exec']);
