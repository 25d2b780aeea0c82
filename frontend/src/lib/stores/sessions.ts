// Pure functions over the session list: keeping it current from run events
// and searching it. The store (runs.svelte.ts) holds the state.

import type { RunStatus, RunView, SessionView, Usage } from '../api';
import type { RunEvent } from '../events';

/** EVENT_STATUS is the run status a run.* event reports when it carries none. */
const EVENT_STATUS: Partial<Record<RunEvent['type'], RunStatus>> = {
  'run.started': 'running',
  'run.resumed': 'running',
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
  'run.suspended': 'interrupted',
};

/** isLive reports whether a run is being driven (or about to be). */
export function isLive(status: RunStatus): boolean {
  return status === 'running' || status === 'pending';
}

/** isFinalEvent reports whether an event ends a run's activity (for now). */
export function isFinalEvent(ev: RunEvent): boolean {
  return ev.type === 'run.completed' || ev.type === 'run.failed' || ev.type === 'run.cancelled' || ev.type === 'run.suspended';
}

function addUsage(a: Usage, b: Usage): Usage {
  return {
    input_tokens: (a.input_tokens ?? 0) + (b.input_tokens ?? 0),
    output_tokens: (a.output_tokens ?? 0) + (b.output_tokens ?? 0),
    cache_read_tokens: (a.cache_read_tokens ?? 0) + (b.cache_read_tokens ?? 0),
    cache_write_tokens: (a.cache_write_tokens ?? 0) + (b.cache_write_tokens ?? 0),
  };
}

function later(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** Applied is the result of applying events to the session list. */
export interface Applied {
  sessions: SessionView[];
  /** changed is false when sessions is the input array, untouched. */
  changed: boolean;
  /** unknown lists run ids the events mention that the list does not have: reload to learn them. */
  unknown: string[];
}

/**
 * applyRunEvents returns the session list updated by events: run status,
 * error, step count, usage and cost, activity time, and the most recently
 * active session first. Only changed sessions and runs get new objects.
 */
export function applyRunEvents(sessions: SessionView[], events: readonly RunEvent[]): Applied {
  const where = new Map<string, [number, number]>();
  sessions.forEach((s, i) => s.runs.forEach((r, j) => where.set(r.id, [i, j])));
  let list = sessions;
  let changed = false;
  const unknown = new Set<string>();
  const touched = new Set<number>();

  for (const ev of events) {
    const at = where.get(ev.run_id);
    if (!at) {
      unknown.add(ev.run_id);
      continue;
    }
    const [i, j] = at;
    const run = list[i].runs[j];
    const next: RunView = { ...run };
    let dirty = false;
    const status = ev.type.startsWith('run.') ? (ev.status ?? EVENT_STATUS[ev.type]) : undefined;
    if (status && status !== run.status) {
      next.status = status;
      dirty = true;
    }
    if (ev.type === 'run.started' || ev.type === 'run.resumed') {
      if (next.error) {
        next.error = undefined;
        dirty = true;
      }
    }
    if (ev.type === 'run.failed' && ev.error && ev.error !== run.error) {
      next.error = ev.error;
      dirty = true;
    }
    if (ev.seq !== undefined && ev.seq > run.steps) {
      next.steps = ev.seq;
      dirty = true;
    }
    if (ev.type === 'model.finished' && !ev.replayed) {
      if (ev.usage) next.usage = addUsage(run.usage ?? { input_tokens: 0, output_tokens: 0 }, ev.usage);
      if (ev.cost_usd) next.cost_usd = (run.cost_usd ?? 0) + ev.cost_usd;
      dirty = dirty || !!ev.usage || !!ev.cost_usd;
    }
    if (ev.type !== 'text.delta' && ev.time) {
      const t = later(run.updated_at, ev.time);
      if (t !== run.updated_at) {
        next.updated_at = t;
        dirty = true;
      }
    }
    if (!dirty) continue;
    if (!changed) {
      list = list.slice();
      changed = true;
    }
    const s = list[i];
    const runs = s.runs.slice();
    runs[j] = next;
    list[i] = { ...s, runs, updated_at: later(s.updated_at, next.updated_at) };
    touched.add(i);
  }

  if (changed && touched.size > 0) {
    // Most recently active first; the sort is stable, so untouched sessions keep their order.
    const order = list.map((s, i) => ({ s, i, t: Date.parse(s.updated_at) || 0 }));
    order.sort((a, b) => b.t - a.t || a.i - b.i);
    list = order.map((o) => o.s);
  }
  return { sessions: list, changed, unknown: [...unknown] };
}

/** upsertRun adds or replaces a run in the list, creating its session when it is new. */
export function upsertRun(sessions: SessionView[], run: RunView): SessionView[] {
  const i = sessions.findIndex((s) => s.id === run.session_id);
  if (i < 0) {
    const s: SessionView = {
      id: run.session_id,
      title: '',
      workspace: run.workspace,
      created_at: run.created_at,
      updated_at: run.updated_at,
      runs: [run],
    };
    return [s, ...sessions];
  }
  const s = sessions[i];
  const j = s.runs.findIndex((r) => r.id === run.id);
  const runs = j < 0 ? [...s.runs, run] : s.runs.map((r, k) => (k === j ? run : r));
  const updated: SessionView = { ...s, runs, updated_at: later(s.updated_at, run.updated_at) };
  return [updated, ...sessions.slice(0, i), ...sessions.slice(i + 1)];
}

/** sessionTitle is what the sidebar calls a session: its title, else its first prompt. */
export function sessionTitle(s: SessionView): string {
  let title = s.title.trim();
  // The importer marks titles; the sidebar's Imported group says it already.
  if (s.origin === 'imported' && title.startsWith(IMPORTED_MARK)) title = title.slice(IMPORTED_MARK.length).trim();
  return title || s.runs[0]?.prompt.trim() || 'Untitled session';
}

/** IMPORTED_MARK starts the title the importer gives a session (trace.ImportedTitle). */
const IMPORTED_MARK = '[imported] ';

/** Match is a session that matches a search, with the runs that match (all runs for a title match). */
export interface Match {
  session: SessionView;
  runs: RunView[];
}

/** searchSessions finds the sessions whose title or any run's prompt contains every word of query. */
export function searchSessions(sessions: readonly SessionView[], query: string): Match[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return sessions.map((session) => ({ session, runs: session.runs }));
  const has = (text: string) => {
    const t = text.toLowerCase();
    return words.every((w) => t.includes(w));
  };
  const out: Match[] = [];
  for (const session of sessions) {
    const runs = session.runs.filter((r) => has(r.prompt));
    if (runs.length > 0) out.push({ session, runs });
    else if (has(session.title)) out.push({ session, runs: session.runs });
  }
  return out;
}

/** latestRun is the most recently started run of a session (not a subagent's). */
export function latestRun(s: SessionView | undefined): RunView | undefined {
  // A subagent's run is shown inside its parent's trace, not as the session's latest turn.
  const runs = s?.runs ?? [];
  for (let i = runs.length - 1; i >= 0; i--) if (!runs[i].parent_run_id) return runs[i];
  return runs[runs.length - 1];
}

/** renamedIn returns the list with a session's title changed (the same array when nothing changed). */
export function renamedIn(sessions: SessionView[], id: string, title: string): SessionView[] {
  const i = sessions.findIndex((s) => s.id === id);
  if (i < 0 || sessions[i].title === title) return sessions;
  const out = sessions.slice();
  out[i] = { ...sessions[i], title };
  return out;
}

/** removedFrom returns the list without a session (the same array when it is not there). */
export function removedFrom(sessions: SessionView[], id: string): SessionView[] {
  return sessions.some((s) => s.id === id) ? sessions.filter((s) => s.id !== id) : sessions;
}

/** Groups split the sidebar: sessions run here first, then the ones imported from traces. */
export interface Groups {
  local: Match[];
  imported: Match[];
}

/** groupMatches splits matches into local and imported sessions, keeping their order. */
export function groupMatches(matches: readonly Match[]): Groups {
  const out: Groups = { local: [], imported: [] };
  for (const m of matches) (m.session.origin === 'imported' ? out.imported : out.local).push(m);
  return out;
}

/** neighbour is the session to show after id is deleted: the next one in the list, else the previous. */
export function neighbour(sessions: readonly SessionView[], id: string): SessionView | undefined {
  const i = sessions.findIndex((s) => s.id === id);
  if (i < 0) return undefined;
  return sessions[i + 1] ?? sessions[i - 1];
}

/** TITLE_MAX is the longest title the backend stores (agent.MaxTitle). */
export const TITLE_MAX = 200;

/** titleProblem says why a title would be refused, or null: the backend's rule, checked before asking it. */
export function titleProblem(title: string): string | null {
  const t = title.split(/\s+/).filter(Boolean).join(' ');
  if (!t) return 'The title is empty.';
  if ([...t].length > TITLE_MAX) return `The title is longer than ${TITLE_MAX} characters.`;
  return null;
}
