// The runs store is the UI's state of sessions, runs and their steps: the
// session list, what is selected, the traces of the runs on screen, and the
// actions (start, follow up, cancel, resume). It is fed by the api module
// (history) and by events.ts (what happens now); components only read it and
// call its methods.

import * as api from '../api';
import type { DeleteRequest, DeleteResult, RunView, SessionEvent, SessionView, Span, StartRequest, Trace, TraceOutline } from '../api';
import type { ConnectionState, RunEvent } from '../events';
import { pageRange } from '../trace/pages';
import { RunTrace } from '../trace/trace.svelte';
import { applyRunEvents, isFinalEvent, isLive, latestRun, neighbour, removedFrom, renamedIn, upsertRun } from './sessions';

/** RunsApi is the part of the api module the store calls; tests pass a fake. */
export interface RunsApi {
  sessions(): Promise<SessionView[]>;
  trace(runId: string): Promise<Trace>;
  /** traceOutline and traceSteps (a run opened as an outline) default to the api module's. */
  traceOutline?(runId: string): Promise<TraceOutline>;
  traceSteps?(runId: string, from: number, to: number): Promise<Span[]>;
  startRun(req: StartRequest): Promise<RunView>;
  resumeRun(runId: string): Promise<void>;
  cancelRun(runId: string): Promise<void>;
  /** renameSession and deleteSession default to the api module's. */
  renameSession?(sessionId: string, title: string): Promise<string>;
  deleteSession?(sessionId: string, req: DeleteRequest): Promise<DeleteResult>;
}

/** Timers lets tests run the store's delayed work by hand. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(id: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** RunOptions are the prompt box's settings besides the prompt. */
export interface RunOptions {
  agent: string;
  provider: string;
  model: string;
  sandbox: string;
  /** scope is the docker sandbox's container scope: 'run', 'session', or '' for the settings' default. */
  scope?: string;
  workspace: string;
}

/** OUTLINE_STEPS is the least number of steps of a run whose trace is opened as an outline
 * (its steps without their content, which the views load a page at a time as they show them):
 * below it the whole trace is as quick to read, and the console shows every step's content. */
export const OUTLINE_STEPS = 2000;

/** MAX_TRACES is how many traces are kept for runs that are neither shown nor live. */
const MAX_TRACES = 24;
/** QUIET_MS is how long without events a run's changes are taken to come from another process. */
const QUIET_MS = 3000;
/** RELOAD_SESSIONS_MS debounces reloading the session list after events about unknown runs. */
const RELOAD_SESSIONS_MS = 250;

/** RunsStore is the reactive state of sessions and runs. */
export class RunsStore {
  /** sessions are most recently active first, each with its runs in start order. */
  sessions = $state.raw<SessionView[]>([]);
  /** loaded is true once the first session list has arrived (or failed). */
  loaded = $state(false);
  /** loadError is the message of the last failed session list load. */
  loadError = $state<string | null>(null);
  /** selectedSessionId is the session the prompt continues; null means the next prompt starts a new one. */
  selectedSessionId = $state<string | null>(null);
  /** selectedRunId is the run the header, the trace and the timeline show. */
  selectedRunId = $state<string | null>(null);
  /** connection says whether events are flowing. */
  connection = $state<ConnectionState>('connecting');
  /** actionError is the message of the last failed start, cancel or resume. */
  actionError = $state<string | null>(null);
  /** starting is true while a start request is in flight. */
  starting = $state(false);
  /** tracesVersion changes when a trace is created or dropped, so peekTrace is reactive. */
  tracesVersion = $state(0);

  #api: RunsApi;
  #timers: Timers;
  #traces = new Map<string, RunTrace>();
  #sessionsTimer: unknown = null;
  #stepsTimers = new Map<string, unknown>();
  #stepsLoads = new Map<string, Promise<void>>();
  #lastStepsLoad = new Map<string, number>();
  #lastEvent = new Map<string, number>(); // when each run last sent an event here
  #use = 0;

  constructor(apiImpl: RunsApi = api, timers: Timers = realTimers) {
    this.#api = apiImpl;
    this.#timers = timers;
  }

  /** selectedSession is the selected session, if any. */
  get selectedSession(): SessionView | undefined {
    const id = this.selectedSessionId;
    return id ? this.sessions.find((s) => s.id === id) : undefined;
  }

  /** selectedRun is the selected run, if any. */
  get selectedRun(): RunView | undefined {
    const id = this.selectedRunId;
    if (!id) return undefined;
    return this.selectedSession?.runs.find((r) => r.id === id) ?? this.run(id);
  }

  /** run finds a run by id. */
  run(id: string): RunView | undefined {
    for (const s of this.sessions) {
      const r = s.runs.find((x) => x.id === id);
      if (r) return r;
    }
    return undefined;
  }

  /** loadSessions fetches the session list. On the first load it selects the most recent run. */
  async loadSessions(): Promise<void> {
    try {
      const list = await this.#api.sessions();
      this.sessions = list;
      this.loadError = null;
      if (!this.loaded && this.selectedSessionId === null && list.length > 0) {
        this.select(list[0].id, latestRun(list[0])?.id ?? null);
      }
    } catch (reason) {
      this.loadError = api.toError(reason).message || 'could not load sessions';
    } finally {
      this.loaded = true;
    }
  }

  /** select shows a session and one of its runs (its latest when runId is omitted). */
  select(sessionId: string, runId?: string | null): void {
    const s = this.sessions.find((x) => x.id === sessionId);
    this.selectedSessionId = sessionId;
    this.selectedRunId = runId === undefined ? (latestRun(s)?.id ?? null) : runId;
    this.actionError = null;
    if (this.selectedRunId) this.ensureTrace(this.selectedRunId);
  }

  /** newSession clears the selection: the next prompt starts a new session. */
  newSession(): void {
    this.selectedSessionId = null;
    this.selectedRunId = null;
    this.actionError = null;
  }

  /** peekTrace returns the trace of a run if the store has one, without loading it. */
  peekTrace(runId: string): RunTrace | undefined {
    void this.tracesVersion;
    return this.#traces.get(runId);
  }

  /** ensureTrace returns the trace of a run, loading its history the first time. */
  ensureTrace(runId: string): RunTrace {
    const t = this.#trace(runId);
    if (t.state === 'empty') void this.loadSteps(runId);
    return t;
  }

  #trace(runId: string): RunTrace {
    let t = this.#traces.get(runId);
    if (!t) {
      t = new RunTrace(runId);
      this.#traces.set(runId, t);
      this.#evict();
      this.tracesVersion++;
    }
    t.lastUsed = ++this.#use;
    return t;
  }

  /** #evict drops the least recently used traces of runs that are neither selected nor live. */
  #evict(): void {
    if (this.#traces.size <= MAX_TRACES) return;
    const keep = new Set<string>();
    if (this.selectedRunId) keep.add(this.selectedRunId);
    for (const r of this.selectedSession?.runs ?? []) keep.add(r.id);
    const candidates = [...this.#traces.values()]
      .filter((t) => !keep.has(t.runId) && !isLive(this.run(t.runId)?.status ?? 'completed'))
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const t of candidates) {
      if (this.#traces.size <= MAX_TRACES) break;
      this.#traces.delete(t.runId);
    }
  }

  /** loadSteps (re)loads a run's history into its trace; calls while one is in flight share it. */
  loadSteps(runId: string): Promise<void> {
    const inflight = this.#stepsLoads.get(runId);
    if (inflight) return inflight;
    const t = this.#trace(runId);
    const queued = this.run(runId);
    if (queued?.status === 'queued') {
      // Nothing is recorded for a queued prompt yet: say what it waits for.
      t.error = queued.queue || 'queued behind the session\'s run in progress';
      t.state = 'error';
      return Promise.resolve();
    }
    if (t.state !== 'ready') t.state = 'loading';
    this.#lastStepsLoad.set(runId, this.#timers.now());
    const p = (async () => {
      try {
        const steps = Math.max(this.run(runId)?.steps ?? 0, t.steps.length);
        if (steps >= OUTLINE_STEPS || t.outlined) t.setOutline(await (this.#api.traceOutline ?? api.traceOutline)(runId));
        else t.setHistory(await this.#api.trace(runId));
      } catch (reason) {
        t.error = api.toError(reason).message || 'could not load steps';
        if (t.state !== 'ready') t.state = 'error';
      } finally {
        this.#stepsLoads.delete(runId);
      }
    })();
    this.#stepsLoads.set(runId, p);
    return p;
  }

  /**
   * loadContent loads the content of a run's steps from..to, when its trace is an outline: the
   * pages of steps a view shows (or the step the inspector shows) that were not asked for yet.
   */
  async loadContent(runId: string, from: number, to: number): Promise<void> {
    const t = this.#traces.get(runId);
    if (!t || !t.outlined) return;
    const get = this.#api.traceSteps ?? api.traceSteps;
    await Promise.all(
      t.pages.want(from, to).map(async (page) => {
        const r = pageRange(page);
        try {
          t.fillContent(await get(runId, r.from, r.to));
        } catch (reason) {
          t.pages.failed(page);
          t.error = api.toError(reason).message || 'could not load steps';
        }
      }),
    );
  }

  /**
   * #refreshSteps reloads a live run's history soon, at most once per interval:
   * events carry what the model saw, the journal also has the facts cards show
   * (exit codes, diffs, line counts). Large runs refresh less often.
   */
  #refreshSteps(runId: string, now = false): void {
    const t = this.#traces.get(runId);
    if (!t || t.state === 'empty') return;
    const pending = this.#stepsTimers.get(runId);
    if (pending !== undefined) {
      if (!now) return;
      this.#timers.clear(pending);
    }
    const interval = Math.max(750, t.steps.length * 0.5);
    const since = this.#timers.now() - (this.#lastStepsLoad.get(runId) ?? 0);
    const wait = now ? 150 : Math.max(150, interval - since);
    this.#stepsTimers.set(
      runId,
      this.#timers.set(() => {
        this.#stepsTimers.delete(runId);
        void this.loadSteps(runId);
      }, wait),
    );
  }

  #reloadSessionsSoon(): void {
    if (this.#sessionsTimer !== null) return;
    this.#sessionsTimer = this.#timers.set(() => {
      this.#sessionsTimer = null;
      void this.loadSessions();
    }, RELOAD_SESSIONS_MS);
  }

  /**
   * journalChanged follows a change to the journal that may come from another process (a
   * `corral run` in a terminal): the session list is reloaded, and the selected run's trace too
   * when the run changed but sent no events here lately, since then no events will tell.
   */
  async journalChanged(): Promise<void> {
    const id = this.selectedRunId;
    const before = id ? this.run(id)?.updated_at : undefined;
    await this.loadSessions();
    if (!id || id !== this.selectedRunId) return;
    const after = this.run(id)?.updated_at;
    const quiet = this.#timers.now() - (this.#lastEvent.get(id) ?? -Infinity) > QUIET_MS;
    if (after !== before && quiet && this.#traces.has(id)) await this.loadSteps(id);
  }

  /** applyBatch applies a batch of run events to the session list and to the traces the store holds. */
  applyBatch(events: readonly RunEvent[]): void {
    if (events.length === 0) return;
    const applied = applyRunEvents(this.sessions, events);
    if (applied.changed) this.sessions = applied.sessions;
    if (applied.unknown.length > 0) this.#reloadSessionsSoon();

    const byRun = new Map<string, RunEvent[]>();
    for (const ev of events) {
      let list = byRun.get(ev.run_id);
      if (!list) byRun.set(ev.run_id, (list = []));
      list.push(ev);
    }
    const now = this.#timers.now();
    for (const [runId, list] of byRun) {
      this.#lastEvent.set(runId, now);
      // A run that starts or resumes gets a trace at once, so nothing it streams is missed
      // if it is opened a moment later.
      const begins = list.some((e) => e.type === 'run.started' || e.type === 'run.resumed');
      const t = begins ? this.#trace(runId) : this.#traces.get(runId);
      if (!t) continue;
      t.applyEvents(list);
      // A resume is in the journal before run.resumed is sent: reload to show where it was.
      if (list.some((e) => isFinalEvent(e) || (e.type === 'run.resumed' && !!e.reason))) this.#refreshSteps(runId, true);
      else if (list.some((e) => e.type === 'tool.finished' || e.type === 'model.finished')) this.#refreshSteps(runId);
    }
  }

  /** reconnected reloads what events may have been missed for: the list and the traces on screen or live. */
  async reconnected(): Promise<void> {
    const loads: Promise<void>[] = [this.loadSessions()];
    for (const t of this.#traces.values()) {
      const shown = t.runId === this.selectedRunId || this.selectedSession?.runs.some((r) => r.id === t.runId);
      if (shown || isLive(this.run(t.runId)?.status ?? 'completed')) loads.push(this.loadSteps(t.runId));
    }
    await Promise.all(loads);
  }

  /**
   * start sends a prompt: it continues the selected session, or starts a new
   * one when none is selected. The new run is selected. It returns the run,
   * or null when the start failed (actionError says why).
   */
  async start(prompt: string, opts: RunOptions): Promise<RunView | null> {
    const text = prompt.trim();
    if (!text || this.starting) return null;
    this.starting = true;
    this.actionError = null;
    try {
      // An imported session is read-only: a prompt sent while one is selected starts a new session.
      const sessionId = this.selectedSession?.origin === 'imported' ? '' : (this.selectedSessionId ?? '');
      const run = await this.#api.startRun({
        session_id: sessionId,
        agent: opts.agent.trim(),
        prompt: text,
        workspace: sessionId ? '' : opts.workspace.trim(),
        provider: opts.provider,
        model: opts.model.trim(),
        sandbox: opts.sandbox,
        scope: opts.scope ?? '',
      });
      const known = this.run(run.id);
      // Events may already have moved the run on; keep the newer status.
      this.sessions = upsertRun(this.sessions, known ? { ...run, ...known } : run);
      this.select(run.session_id, run.id);
      this.#reloadSessionsSoon(); // the session's title and times come from the journal
      return run;
    } catch (reason) {
      this.actionError = api.toError(reason).message || 'could not start the run';
      return null;
    } finally {
      this.starting = false;
    }
  }

  /** cancel stops a running run. */
  async cancel(runId: string): Promise<void> {
    this.actionError = null;
    try {
      await this.#api.cancelRun(runId);
    } catch (reason) {
      this.actionError = api.toError(reason).message || 'could not cancel the run';
    }
  }

  /** resume continues an interrupted or cancelled run. */
  async resume(runId: string): Promise<void> {
    this.actionError = null;
    try {
      await this.#api.resumeRun(runId);
      this.#trace(runId);
    } catch (reason) {
      this.actionError = api.toError(reason).message || 'could not resume the run';
    }
  }

  /** resolve decides about a command a crash cut off in an interrupted run. */
  async resolve(runId: string, action: 'rerun' | 'skip' | 'fail'): Promise<void> {
    this.actionError = null;
    try {
      await api.resolveRun(runId, action);
      this.#trace(runId);
    } catch (reason) {
      this.actionError = api.toError(reason).message || 'could not resolve the run';
    }
  }

  /** renameSession sets a session's title; it returns null, or why the rename failed. */
  async renameSession(sessionId: string, title: string): Promise<string | null> {
    try {
      const stored = await (this.#api.renameSession ?? api.renameSession)(sessionId, title);
      this.sessions = renamedIn(this.sessions, sessionId, stored);
      return null;
    } catch (reason) {
      return api.toError(reason).message || 'could not rename the session';
    }
  }

  /** deleteSession deletes a session with its runs (the promise rejects with the backend's reason) and shows a neighbour. */
  async deleteSession(sessionId: string, req: DeleteRequest): Promise<DeleteResult> {
    const res = await (this.#api.deleteSession ?? api.deleteSession)(sessionId, req);
    this.#forgetSession(sessionId, res.run_ids ?? []);
    return res;
  }

  /** applySessionEvent follows a rename or a delete made in any window. */
  applySessionEvent(ev: SessionEvent): void {
    if (ev.type === 'session.renamed' && ev.title !== undefined) {
      this.sessions = renamedIn(this.sessions, ev.session_id, ev.title);
    } else if (ev.type === 'session.deleted') {
      this.#forgetSession(ev.session_id, ev.run_ids ?? []);
    }
  }

  #forgetSession(sessionId: string, runIds: readonly string[]): void {
    const next = neighbour(this.sessions, sessionId);
    const ids = new Set([...runIds, ...(this.sessions.find((s) => s.id === sessionId)?.runs.map((r) => r.id) ?? [])]);
    this.sessions = removedFrom(this.sessions, sessionId);
    let dropped = false;
    for (const id of ids) dropped = this.#traces.delete(id) || dropped;
    if (dropped) this.tracesVersion++;
    if (this.selectedSessionId === sessionId) {
      if (next) this.select(next.id);
      else this.newSession();
    }
  }

  /** dispose stops pending timers. */
  dispose(): void {
    if (this.#sessionsTimer !== null) this.#timers.clear(this.#sessionsTimer);
    for (const id of this.#stepsTimers.values()) this.#timers.clear(id);
    this.#stepsTimers.clear();
  }
}

/** runsStore is the app-wide instance. */
export const runsStore = new RunsStore();
