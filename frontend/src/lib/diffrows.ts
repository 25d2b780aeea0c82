// Rows of a unified diff as the diff view draws them: unified (one column,
// with old and new line numbers) or side by side (the old file left, the new
// right, a run of removed lines beside the run of added lines that replaced
// it). Each cell's text is split into syntax tokens for the file's language.

import { highlight, type Token } from './highlight';
import { diffLines } from './tools';

/** Cell is one side of a row: a line number, its op and its tokens. */
export interface Cell {
  n: number | null;
  kind: 'add' | 'del' | 'ctx';
  tokens: Token[];
}

/** UnifiedRow is one line of the unified view; hunk and file headers have no numbers. */
export interface UnifiedRow {
  kind: 'add' | 'del' | 'ctx' | 'hunk' | 'file' | 'note';
  old: number | null;
  new: number | null;
  tokens: Token[];
}

/** SplitRow is one line of the side-by-side view: a header, or a left and a right cell (either may be empty). */
export type SplitRow = { kind: 'hunk' | 'note'; text: string } | { kind: 'pair'; left: Cell | null; right: Cell | null };

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

function tokens(text: string, lang: string | null): Token[] {
  return highlight(text, lang)[0] ?? [{ kind: '', text }];
}

/** unifiedRows numbers the lines of a unified diff and highlights their text (without the +/- prefix). */
export function unifiedRows(diff: string, lang: string | null): UnifiedRow[] {
  let oldN = 0;
  let newN = 0;
  let numbered = false; // lines before any hunk header (a bare -/+ listing) have no numbers
  const rows: UnifiedRow[] = [];
  const num = (n: number) => (numbered ? n : null);
  for (const l of diffLines(diff)) {
    if (l.kind === 'file') {
      rows.push({ kind: 'file', old: null, new: null, tokens: [{ kind: '', text: l.text }] });
    } else if (l.kind === 'hunk') {
      const m = HUNK.exec(l.text);
      if (m) [oldN, newN, numbered] = [Number(m[1]), Number(m[2]), true];
      rows.push({ kind: 'hunk', old: null, new: null, tokens: [{ kind: '', text: l.text }] });
    } else if (l.text.startsWith('\\')) {
      rows.push({ kind: 'note', old: null, new: null, tokens: [{ kind: '', text: l.text }] });
    } else {
      const body = tokens(l.text.slice(1), lang);
      if (l.kind === 'add') rows.push({ kind: 'add', old: null, new: num(newN++), tokens: body });
      else if (l.kind === 'del') rows.push({ kind: 'del', old: num(oldN++), new: null, tokens: body });
      else rows.push({ kind: 'ctx', old: num(oldN++), new: num(newN++), tokens: body });
    }
  }
  return rows;
}

/** splitRows lays a unified diff out side by side: context on both sides, each run of removed
 * lines beside the added lines that follow it, row by row. */
export function splitRows(diff: string, lang: string | null): SplitRow[] {
  const rows: SplitRow[] = [];
  let dels: Cell[] = [];
  let adds: Cell[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) rows.push({ kind: 'pair', left: dels[i] ?? null, right: adds[i] ?? null });
    dels = [];
    adds = [];
  };
  for (const r of unifiedRows(diff, lang)) {
    if (r.kind === 'file') continue;
    if (r.kind === 'del') {
      if (adds.length > 0) flush(); // a removal after additions starts a new change
      dels.push({ n: r.old, kind: 'del', tokens: r.tokens });
    } else if (r.kind === 'add') {
      adds.push({ n: r.new, kind: 'add', tokens: r.tokens });
    } else {
      flush();
      if (r.kind === 'ctx') rows.push({ kind: 'pair', left: { n: r.old, kind: 'ctx', tokens: r.tokens }, right: { n: r.new, kind: 'ctx', tokens: r.tokens } });
      else rows.push({ kind: r.kind === 'hunk' ? 'hunk' : 'note', text: r.tokens.map((t) => t.text).join('') });
    }
  }
  flush();
  return rows;
}

/** SPLIT_MIN_WIDTH is the narrowest pane (CSS px) that shows a diff side by side. */
export const SPLIT_MIN_WIDTH = 600;

/**
 * diffLayout is the layout a diff is drawn in: the one chosen, except that side by side
 * falls back to unified in a pane narrower than SPLIT_MIN_WIDTH (two columns of a few
 * words each). A width of 0 (not measured yet) keeps the choice.
 */
export function diffLayout(chosen: 'unified' | 'split', width: number): 'unified' | 'split' {
  return chosen === 'split' && width > 0 && width < SPLIT_MIN_WIDTH ? 'unified' : chosen;
}
