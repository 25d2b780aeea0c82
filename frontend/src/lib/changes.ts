// Words and numbers for what a step changed (Workspace.StepChanges), shared by
// the step inspector and the workspace panel.

import type { ChangeSource, FileChange, StepChange } from './api';
import { formatBytes } from './format';

/** SOURCE_LABEL says how a change is known, in a few words. */
export const SOURCE_LABEL: Record<ChangeSource, string> = {
  recorded: 'diff recorded when the step ran',
  input: 'new file, from its recorded content',
  reconstructed: 'rebuilt from earlier steps',
  partial: 'only the replaced text is known',
  listed: 'listed; contents not recorded',
  unknown: 'changes not known',
  none: 'changed nothing',
};

/** OP_LABEL names what happened to a file, for its chip. */
export const OP_LABEL: Record<FileChange['op'], string> = {
  created: 'new',
  modified: 'modified',
  deleted: 'deleted',
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

/** opCounts counts a step's files by what happened to them. */
export function opCounts(c: Pick<StepChange, 'files'>): Record<FileChange['op'], number> {
  const n = { created: 0, modified: 0, deleted: 0 };
  for (const f of c.files ?? []) n[f.op]++;
  return n;
}

/**
 * listedSummary is a command's listed files in a few words:
 * "2 new · 1 modified · 1 deleted", with "+N more" past the listed ones.
 */
export function listedSummary(c: Pick<StepChange, 'files' | 'more'>): string {
  const n = opCounts(c);
  const parts: string[] = [];
  if (n.created) parts.push(`${n.created} new`);
  if (n.modified) parts.push(`${n.modified} modified`);
  if (n.deleted) parts.push(`${n.deleted} deleted`);
  if (c.more) parts.push(`+${c.more} more`);
  return parts.join(' · ');
}

/** changeSummary is one line for a step in a list: what it touched and how much. */
export function changeSummary(c: StepChange): string {
  if (c.source === 'unknown') return c.tool === 'exec' ? 'not recorded' : 'not known';
  if (c.source === 'none') return 'changed nothing';
  if (c.source === 'listed') return listedSummary(c);
  const { added, removed } = changeTotals(c);
  const created = c.files.some((f) => f.op === 'created');
  return `${created ? 'new · ' : ''}+${added} −${removed}`;
}

/** fileSize is a listed file's size after the step, or '' (deleted, or not recorded). */
export function fileSize(f: FileChange): string {
  if (f.op === 'deleted' || f.bytes === undefined) return '';
  return formatBytes(f.bytes);
}

/** CHANGING_TOOLS are the tools whose steps can change files. */
export const CHANGING_TOOLS: ReadonlySet<string> = new Set(['write', 'edit', 'exec']);

/** RunMark is how a run left a file: new, or changed. */
export type RunMark = 'created' | 'modified';

/** runMarks folds a run's step changes, in seq order, into how the run left each file: created
 * (it did not exist before the run) or modified; a file the run deleted has no mark. */
export function runMarks(steps: readonly Pick<StepChange, 'files'>[]): Map<string, RunMark> {
  const marks = new Map<string, RunMark>();
  for (const st of steps) {
    for (const f of st.files ?? []) {
      if (f.op === 'deleted') marks.delete(f.path);
      else if (f.op === 'created') marks.set(f.path, marks.get(f.path) ?? 'created');
      else if (!marks.has(f.path)) marks.set(f.path, 'modified');
    }
  }
  return marks;
}
