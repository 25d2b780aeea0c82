// The workspace store is what the workspace panel shows of the selected
// session: its file tree (loaded with Workspace.Tree, followed live through
// corral:workspace events after Workspace.Watch), the row under the keyboard
// cursor and the file open in the viewer.

import * as api from '../api';
import type { EntryView, FileView, WorkspaceEvent } from '../api';
import type { RunMark } from '../changes';
import { TreeModel, parentOf, type TreeRow } from './tree';

/** WorkspaceApi is the part of the api module the store calls; tests pass a fake. */
export interface WorkspaceApi {
  workspaceTree(sessionId: string): Promise<EntryView[]>;
  workspaceFile(sessionId: string, path: string): Promise<FileView>;
  watchWorkspace(sessionId: string): Promise<void>;
  revealWorkspace(sessionId: string): Promise<void>;
}

export class WorkspaceStore {
  /** sessionId is the session whose workspace is shown. */
  sessionId = $state<string | null>(null);
  /** rows are the visible rows of the tree. */
  rows = $state.raw<TreeRow[]>([]);
  /** count is how many entries the tree holds. */
  count = $state(0);
  loading = $state(false);
  /** error is why the tree could not be loaded or followed. */
  error = $state<string | null>(null);
  /** warning is what the watcher says (polling, watch limit reached). */
  warning = $state<string | null>(null);
  mode = $state<'notify' | 'polling' | null>(null);
  /** cursor is the path of the row under the keyboard cursor. */
  cursor = $state<string | null>(null);
  /** openPath is the file shown in the viewer. */
  openPath = $state<string | null>(null);
  file = $state.raw<FileView | null>(null);
  fileLoading = $state(false);
  fileError = $state<string | null>(null);

  readonly model = new TreeModel();
  #api: WorkspaceApi;
  #gen = 0; // bumped on every session change and tree load, so stale answers are dropped
  #fileGen = 0;
  #pending: WorkspaceEvent[] | null = null; // events that arrived while the tree loads

  constructor(apiImpl: WorkspaceApi = api) {
    this.#api = apiImpl;
  }

  #refresh(): void {
    this.rows = this.model.rows();
    this.count = this.model.entries.size;
  }

  /** setRunMarks shows how the selected run left files (see changes.runMarks). */
  setRunMarks(marks: ReadonlyMap<string, RunMark>): void {
    this.model.setRunMarks(marks);
    this.#refresh();
  }

  /** setSession shows a session's workspace (none for null): loads its tree and starts following it. */
  async setSession(id: string | null): Promise<void> {
    if (id === this.sessionId) return;
    this.sessionId = id;
    this.model.load([]);
    this.model.expanded.clear();
    this.model.clearChanges();
    this.model.setRunMarks(new Map());
    this.cursor = null;
    this.closeFile();
    this.warning = null;
    this.mode = null;
    this.error = null;
    this.#refresh();
    if (!id) {
      this.#gen++;
      this.loading = false;
      return;
    }
    const watched = this.#api.watchWorkspace(id).catch((reason: unknown) => {
      if (this.sessionId === id) this.error = api.toError(reason).message || 'could not follow the workspace';
    });
    await Promise.all([this.reload(), watched]);
  }

  /** reload fetches the whole tree again, keeping expanded folders and change marks. */
  async reload(): Promise<void> {
    const id = this.sessionId;
    if (!id) return;
    const gen = ++this.#gen;
    this.loading = true;
    this.#pending = [];
    try {
      const entries = await this.#api.workspaceTree(id);
      if (gen !== this.#gen) return;
      this.model.load(entries);
      const pending = this.#pending ?? [];
      this.#pending = null;
      for (const ev of pending) this.#applyChanges(ev);
      this.error = null;
      this.#refresh();
      if (this.cursor && !this.model.entries.has(this.cursor)) this.cursor = null;
    } catch (reason) {
      if (gen !== this.#gen) return;
      this.#pending = null;
      this.error = api.toError(reason).message || 'could not load the workspace';
    } finally {
      if (gen === this.#gen) this.loading = false;
    }
  }

  /** applyEvent follows a corral:workspace event of the shown session. */
  applyEvent(ev: WorkspaceEvent): void {
    if (!this.sessionId || ev.session_id !== this.sessionId) return;
    this.mode = ev.mode;
    this.warning = ev.warning || null;
    if (ev.error) this.error = ev.error;
    if (ev.rescan) {
      void this.reload();
      return;
    }
    if (this.#pending) {
      this.#pending.push(ev);
      return;
    }
    if (this.#applyChanges(ev)) this.#refresh();
  }

  #applyChanges(ev: WorkspaceEvent): boolean {
    const changes = ev.changes ?? [];
    if (changes.length === 0) return false;
    this.model.apply(changes);
    if (this.cursor && !this.model.entries.has(this.cursor)) this.cursor = null;
    const open = this.openPath;
    if (open && changes.some((c) => c.path === open || (c.op === 'removed' && open.startsWith(c.path + '/')))) {
      if (this.model.entries.has(open)) void this.open(open);
      else {
        this.file = null;
        this.fileError = 'The file was removed.';
      }
    }
    return true;
  }

  /** toggle opens or closes a directory. */
  toggle(path: string): void {
    if (this.model.setExpanded(path, !this.model.expanded.has(path))) this.#refresh();
  }

  /** activate acts on a row: a directory opens or closes, a file opens in the viewer. */
  activate(path: string): void {
    this.cursor = path;
    const e = this.model.entries.get(path);
    if (!e) return;
    if (e.dir) this.toggle(path);
    else void this.open(path);
  }

  /** key handles a tree key (arrows, Home, End, Enter); it returns whether the key was used. */
  key(key: string): boolean {
    const rows = this.rows;
    if (rows.length === 0) return false;
    let at = this.cursor ? rows.findIndex((r) => r.path === this.cursor) : -1;
    const row = at >= 0 ? rows[at] : undefined;
    switch (key) {
      case 'ArrowDown':
        at = Math.min(rows.length - 1, at + 1);
        break;
      case 'ArrowUp':
        at = at < 0 ? 0 : Math.max(0, at - 1);
        break;
      case 'Home':
        at = 0;
        break;
      case 'End':
        at = rows.length - 1;
        break;
      case 'ArrowRight':
        if (!row) at = 0;
        else if (row.expandable && !row.expanded) {
          this.toggle(row.path);
          return true;
        } else if (row.expanded && rows[at + 1]?.depth === row.depth + 1) at++;
        break;
      case 'ArrowLeft':
        if (!row) at = 0;
        else if (row.expanded) {
          this.toggle(row.path);
          return true;
        } else {
          const parent = parentOf(row.path);
          if (parent !== '') {
            this.cursor = parent;
            return true;
          }
        }
        break;
      case 'Enter':
      case ' ':
        if (row) this.activate(row.path);
        return !!row;
      default:
        return false;
    }
    this.cursor = rows[at]?.path ?? null;
    return true;
  }

  /** open shows a file in the viewer. */
  async open(path: string): Promise<void> {
    const id = this.sessionId;
    if (!id) return;
    const gen = ++this.#fileGen;
    if (this.openPath !== path) this.file = null;
    this.openPath = path;
    this.fileLoading = true;
    this.fileError = null;
    try {
      const f = await this.#api.workspaceFile(id, path);
      if (gen !== this.#fileGen) return;
      this.file = f;
    } catch (reason) {
      if (gen !== this.#fileGen) return;
      this.file = null;
      this.fileError = api.toError(reason).message || 'could not read the file';
    } finally {
      if (gen === this.#fileGen) this.fileLoading = false;
    }
  }

  /** closeFile closes the viewer. */
  closeFile(): void {
    this.#fileGen++;
    this.openPath = null;
    this.file = null;
    this.fileLoading = false;
    this.fileError = null;
  }

  /** reveal opens the workspace folder in the OS file manager. */
  async reveal(): Promise<void> {
    const id = this.sessionId;
    if (!id) return;
    try {
      await this.#api.revealWorkspace(id);
    } catch (reason) {
      this.error = api.toError(reason).message || 'could not open the folder';
    }
  }
}

export const workspaceStore = new WorkspaceStore();
