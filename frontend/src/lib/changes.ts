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

/** FileOp is what happened to a file: a step's change, or a run's net change (RunFileDiff). */
export type FileOp = FileChange['op'] | 'unchanged';

/** OP_LABEL names what happened to a file, for its chip (OpChip). */
export const OP_LABEL: Record<FileOp, string> = {
  created: 'new',
  modified: 'modified',
  deleted: 'deleted',
  unchanged: 'unchanged',
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

/** FileRow is one file a run changed, for the changes panel's "By file" list. */
export interface FileRow {
  path: string;
  /** op is how the run left the file: created, modified or deleted. */
  op: FileChange['op'];
  /** steps are the seqs of the steps that changed it, in order. */
  steps: number[];
  /** added and removed sum the steps' line counts (the net diff may be smaller). */
  added: number;
  removed: number;
}

/**
 * byFile groups a run's step changes (in seq order) by file: one row per file with
 * the steps that changed it, how the run left it, and their line counts summed.
 * A file created and then deleted by the run is left out; the rows keep the order
 * in which the run first touched each file.
 */
export function byFile(steps: readonly Pick<StepChange, 'seq' | 'files'>[]): FileRow[] {
  const rows = new Map<string, FileRow & { existed: boolean }>();
  for (const st of steps) {
    for (const f of st.files ?? []) {
      let row = rows.get(f.path);
      if (!row) {
        row = { path: f.path, op: f.op, steps: [], added: 0, removed: 0, existed: f.op !== 'created' };
        rows.set(f.path, row);
      }
      if (row.steps[row.steps.length - 1] !== st.seq) row.steps.push(st.seq);
      row.added += f.added;
      row.removed += f.removed;
      if (f.op === 'deleted') row.op = 'deleted';
      else row.op = row.existed ? 'modified' : 'created';
    }
  }
  const out: FileRow[] = [];
  for (const { existed, ...row } of rows.values()) {
    if (row.op === 'deleted' && !existed) continue;
    out.push(row);
  }
  return out;
}

/** ViewerView is what the file viewer shows of a file: its diff since before the run, or its content. */
export type ViewerView = 'diff' | 'file';

/**
 * viewerView is what the viewer shows: the person's choice, else the diff for a file the
 * run modified and the content for any other (a new file's diff would be all additions).
 */
export function viewerView(mark: RunMark | undefined, chosen: ViewerView | null): ViewerView {
  if (mark === undefined) return 'file';
  return chosen ?? (mark === 'modified' ? 'diff' : 'file');
}
