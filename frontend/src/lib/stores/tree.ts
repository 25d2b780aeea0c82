// The file tree model of the workspace panel: entries indexed by path and by
// parent, the set of expanded directories, the flat list of visible rows, live
// change batches and the window math of the virtualized list. Plain
// TypeScript, no runes, so it stays fast for 100,000 entries and is tested
// without a DOM.

import type { EntryView, WorkspaceChange } from '../api';
import type { RunMark } from '../changes';

/** TreeRow is one visible row of the tree. */
export interface TreeRow {
  path: string;
  name: string;
  depth: number;
  entry: EntryView;
  /** expanded is set on an open directory. */
  expanded: boolean;
  /** expandable is set on a directory whose contents are listed (not an ignored one). */
  expandable: boolean;
  /** changed marks a file changed since the panel opened, or a directory holding one. */
  changed: boolean;
  /** run says how the selected run left the file ('dir': a directory holding such files). */
  run?: RunMark | 'dir';
}

/** parentOf returns the parent path ('' for the root's children). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** baseName returns the last element of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function byte(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** compareEntries orders siblings: directories first, then names in byte order. */
export function compareEntries(a: EntryView, b: EntryView): number {
  if (!!a.dir !== !!b.dir) return a.dir ? -1 : 1;
  return byte(baseName(a.path), baseName(b.path));
}

export class TreeModel {
  /** entries holds every known entry by path. */
  readonly entries = new Map<string, EntryView>();
  /** expanded holds the open directories. */
  readonly expanded = new Set<string>();
  /** changed holds the paths changed since the model was reset. */
  readonly changed = new Set<string>();
  /** changedDirs counts the changed paths under each directory. */
  readonly #changedDirs = new Map<string, number>();
  /** #runMarks says how the selected run left each file; #runDirs are the directories holding them. */
  #runMarks = new Map<string, RunMark>();
  #runDirs = new Set<string>();
  /** #children lists each directory's children ('' is the root), in display order. */
  readonly #children = new Map<string, string[]>();

  constructor(entries: readonly EntryView[] = []) {
    this.load(entries);
  }

  /** load replaces the entries (expanded directories and change marks are kept where they still exist). */
  load(entries: readonly EntryView[]): void {
    this.entries.clear();
    this.#children.clear();
    this.#children.set('', []);
    for (const e of entries) {
      this.entries.set(e.path, e);
      if (e.dir) this.#children.set(e.path, []);
    }
    for (const e of entries) {
      const parent = parentOf(e.path);
      let list = this.#children.get(parent);
      if (!list) {
        // A parent the listing did not include: show the entry anyway.
        list = [];
        this.#children.set(parent, list);
        this.#ensureAncestor(parent);
      }
      list.push(e.path);
    }
    for (const list of this.#children.values()) list.sort((a, b) => compareEntries(this.entries.get(a)!, this.entries.get(b)!));
    for (const p of this.expanded) if (!this.entries.get(p)?.dir) this.expanded.delete(p);
  }

  /** #ensureAncestor adds a placeholder directory for a path missing from the listing. */
  #ensureAncestor(path: string): void {
    if (path === '' || this.entries.has(path)) return;
    this.#insert({ path, size: 0, mod_time: '', dir: true });
  }

  /** #insert adds an entry under its parent, keeping the siblings ordered. */
  #insert(e: EntryView): void {
    const parent = parentOf(e.path);
    this.#ensureAncestor(parent);
    this.entries.set(e.path, e);
    if (e.dir && !this.#children.has(e.path)) this.#children.set(e.path, []);
    let list = this.#children.get(parent);
    if (!list) {
      list = [];
      this.#children.set(parent, list);
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareEntries(this.entries.get(list[mid])!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, e.path);
  }

  /** #remove drops an entry and everything under it. */
  #remove(path: string): void {
    if (!this.entries.has(path)) return;
    const stack = [path];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const kids = this.#children.get(p);
      if (kids) stack.push(...kids);
      this.entries.delete(p);
      this.#children.delete(p);
      this.expanded.delete(p);
      this.#unmark(p);
    }
    const list = this.#children.get(parentOf(path));
    if (list) {
      const i = list.indexOf(path);
      if (i >= 0) list.splice(i, 1);
    }
  }

  #mark(path: string): void {
    if (this.changed.has(path)) return;
    this.changed.add(path);
    for (let p = parentOf(path); ; p = parentOf(p)) {
      this.#changedDirs.set(p, (this.#changedDirs.get(p) ?? 0) + 1);
      if (p === '') break;
    }
  }

  #unmark(path: string): void {
    if (!this.changed.delete(path)) return;
    for (let p = parentOf(path); ; p = parentOf(p)) {
      const n = (this.#changedDirs.get(p) ?? 1) - 1;
      if (n <= 0) this.#changedDirs.delete(p);
      else this.#changedDirs.set(p, n);
      if (p === '') break;
    }
  }

  /** isChanged reports a changed file, or a directory holding one. */
  isChanged(path: string): boolean {
    return this.changed.has(path) || this.#changedDirs.has(path);
  }

  /** clearChanges drops every change mark. */
  clearChanges(): void {
    this.changed.clear();
    this.#changedDirs.clear();
  }

  /** setRunMarks marks the files a run created or modified (see changes.runMarks). */
  setRunMarks(marks: ReadonlyMap<string, RunMark>): void {
    this.#runMarks = new Map(marks);
    this.#runDirs = new Set();
    for (const path of marks.keys()) {
      for (let p = parentOf(path); p !== ''; p = parentOf(p)) this.#runDirs.add(p);
    }
  }

  /** children returns a directory's children paths in display order ('' for the root). */
  children(path: string): readonly string[] {
    return this.#children.get(path) ?? [];
  }

  /** expandable reports a directory whose contents are listed. */
  expandable(path: string): boolean {
    const e = this.entries.get(path);
    return !!e?.dir && !e.ignored;
  }

  /** toggle opens or closes a directory; it returns whether anything changed. */
  setExpanded(path: string, open: boolean): boolean {
    if (open && !this.expandable(path)) return false;
    if (open === this.expanded.has(path)) return false;
    if (open) this.expanded.add(path);
    else this.expanded.delete(path);
    return true;
  }

  /**
   * apply applies a change batch without reloading: created entries are
   * inserted, removed ones dropped with their subtree, modified ones updated.
   * Created and modified files are marked changed.
   */
  apply(changes: readonly WorkspaceChange[]): void {
    for (const c of changes) {
      if (c.op === 'removed') {
        this.#remove(c.path);
        continue;
      }
      const entry: EntryView = { ...c.entry, path: c.path };
      const old = this.entries.get(c.path);
      if (old && !!old.dir === !!entry.dir) {
        this.entries.set(c.path, entry);
        if (!entry.dir) {
          // Siblings are ordered by name and kind only: nothing moves.
        } else if (entry.ignored) {
          this.expanded.delete(c.path);
        }
      } else {
        if (old) this.#remove(c.path);
        this.#insert(entry);
      }
      if (!entry.dir) this.#mark(c.path);
    }
  }

  /** rows returns the visible rows: every entry whose ancestors are all expanded, in tree order. */
  rows(): TreeRow[] {
    const out: TreeRow[] = [];
    const walk = (dir: string, depth: number) => {
      const kids = this.#children.get(dir);
      if (!kids) return;
      for (const path of kids) {
        const entry = this.entries.get(path)!;
        const expanded = this.expanded.has(path);
        out.push({
          path,
          name: baseName(path),
          depth,
          entry,
          expanded,
          expandable: !!entry.dir && !entry.ignored,
          changed: this.changed.has(path) || this.#changedDirs.has(path),
          run: this.#runMarks.get(path) ?? (this.#runDirs.has(path) ? 'dir' : undefined),
        });
        if (expanded) walk(path, depth + 1);
      }
    };
    walk('', 0);
    return out;
  }
}

/** TreeWindow is the slice of rows to render and where it sits. */
export interface TreeWindow {
  /** start is the first row rendered; end is one past the last. */
  start: number;
  end: number;
  /** offset is the top of the first rendered row, in pixels. */
  offset: number;
  /** height is the height of every row together, in pixels. */
  height: number;
}

/**
 * windowRange computes which of total rows of rowHeight pixels a viewport of
 * viewportHeight scrolled to scrollTop shows, plus overscan rows either side.
 */
export function windowRange(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 8): TreeWindow {
  const height = total * rowHeight;
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0, height: Math.max(0, height) };
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, height - viewportHeight)));
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, last + overscan);
  return { start, end, offset: start * rowHeight, height };
}

/** scrollToRow returns the scrollTop that brings row index into a viewport, or null when it is visible. */
export function scrollToRow(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number | null {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return null;
}
