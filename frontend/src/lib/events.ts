// Package events is the only code in the UI that subscribes to the backend's
// events, and the one mirror of the event catalog in app/events.go. Inside the
// desktop window events arrive through the Wails runtime; in a browser through
// the server-sent event stream of `corral serve` (GET /api/events).

import type { ApprovalRecord, ApprovalRequest, EgressEvent, RunStatus, SessionEvent, ToolMeta, ModelUsage, WorkspaceChange, WorkspaceEvent } from './api';

/**
 * EVENT_RUNS carries a batch of run events, oldest first, flushed every ~75 ms.
 * Consecutive text deltas of one step are merged into one event.
 */
export const EVENT_RUNS = 'corral:runs';

/** RunEventType names what happened in a run (agent.EventType). */
export type RunEventType =
  | 'run.started'
  | 'run.resumed'
  | 'run.completed'
  | 'run.failed'
  | 'run.suspended'
  | 'run.cancelled'
  | 'model.started'
  | 'model.finished'
  | 'model.retry'
  | 'text.delta'
  | 'thinking.delta'
  | 'tool.started'
  | 'tool.finished'
  | 'tool.output'
  | 'tool.egress'
  | 'compact.started'
  | 'compact.finished'
  | 'approval.requested'
  | 'approval.decided';

/** RUN_EVENT_TYPES lists every run event type. */
export const RUN_EVENT_TYPES: readonly RunEventType[] = [
  'run.started',
  'run.resumed',
  'run.completed',
  'run.failed',
  'run.suspended',
  'run.cancelled',
  'model.started',
  'model.finished',
  'model.retry',
  'text.delta',
  'thinking.delta',
  'tool.started',
  'tool.finished',
  'tool.output',
  'tool.egress',
  'compact.started',
  'compact.finished',
  'approval.requested',
  'approval.decided',
];

/**
 * isLossyEvent reports whether a subscriber may miss events of this type
 * (agent.EventType.Lossy): text and thinking deltas, retries, live tool output and connections. Every other
 * event is delivered unless the connection itself drops.
 */
export function isLossyEvent(type: RunEventType): boolean {
  return type === 'text.delta' || type === 'thinking.delta' || type === 'model.retry' || type === 'tool.output' || type === 'tool.egress';
}

/** ToolOutcome is what the model saw of a tool call, as carried by tool.finished. */
export interface ToolOutcome {
  content: string;
  is_error: boolean;
  /** meta holds the facts cards show (exit code, line counts; the diff when it is small). */
  meta?: ToolMeta;
}

/** RunEvent is one thing that happened in a run (agent.Event). */
export interface RunEvent {
  type: RunEventType;
  run_id: string;
  /** session_id is set on run.* events. */
  session_id?: string;
  /** seq is the journal step the event is about (model.*, tool.*, text.delta). */
  seq?: number;
  /** time is RFC 3339. */
  time: string;
  /** replayed marks a step already in the journal (on resume): nothing ran, nothing was paid for. */
  replayed?: boolean;
  /** text is the delta on text.delta, the chunk on tool.output, the full text on model.finished, the final answer on run.completed. */
  text?: string;
  tool?: string;
  input?: unknown;
  result?: ToolOutcome;
  model?: string;
  usage?: ModelUsage;
  cost_usd?: number;
  /** context_tokens is, on model.started and model.finished, the request's estimated size in tokens. */
  context_tokens?: number;
  /** status is the run status on run.* events. */
  status?: RunStatus;
  error?: string;
  /** attempt and wait_ms describe model.retry; discard says the failed attempt's streamed text is dropped. */
  attempt?: number;
  wait_ms?: number;
  discard?: boolean;
  /** duration_ms is set on *.finished. */
  duration_ms?: number;
  /** stream ('stdout' or 'stderr'), output_seq (1, 2, ... in the step), elapsed_ms (since the
   * command started) and dropped (bytes left out before this chunk) describe tool.output, whose
   * text is the chunk. */
  stream?: string;
  output_seq?: number;
  elapsed_ms?: number;
  dropped?: number;
  /** workspace is set on run.started and run.resumed. */
  workspace?: string;
  /** reason is set on run.resumed when the run had stopped part way ('interrupted', 'cancelled', 'paused') and the journal recorded the resume; on compact.started it says why the run compacts ('threshold', 'too_long'). */
  reason?: string;
  /** egress is, on tool.egress, a connection the running command attempted (allowed or blocked). */
  egress?: EgressEvent;
  /** approval is the request on approval.requested. */
  approval?: ApprovalRequest;
  /** decision is the record on approval.decided. */
  decision?: ApprovalRecord;
}

/** ConnectionState says whether events are flowing. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** RunsHandlers receive what a subscription delivers. */
export interface RunsHandlers {
  /** batch receives each batch of run events, oldest first. */
  batch: (events: RunEvent[]) => void;
  /**
   * reconnected is called when the stream is back after it dropped: events
   * sent in between are lost, so the caller reloads what it shows.
   */
  reconnected?: () => void;
  /** state is told whenever the connection state changes. */
  state?: (state: ConnectionState) => void;
}

/** WailsRuntime is the part of window.runtime this module uses. */
export interface WailsRuntime {
  EventsOn: (name: string, callback: (...data: unknown[]) => void) => () => void;
}

/** EventSourceLike is the part of EventSource this module uses, so tests can fake it. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((this: never, ev: Event) => unknown) | null;
  onmessage: ((this: never, ev: MessageEvent) => unknown) | null;
  onerror: ((this: never, ev: Event) => unknown) | null;
  close(): void;
}

/** EventsEnv is where subscriptions come from; defaultEnv reads the real globals. */
export interface EventsEnv {
  runtime?: WailsRuntime;
  eventSource?: new (url: string) => EventSourceLike;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (id: unknown) => void;
}

/** EVENTS_URL is the server-sent event stream of `corral serve`. */
export const EVENTS_URL = '/api/events';

const CLOSED = 2; // EventSource.CLOSED

let sharedEnv: EventsEnv | undefined;

/** defaultEnv returns the Wails runtime when inside the window, else the browser's EventSource.
 * It returns the same object every time, so every subscription of the page shares one stream. */
export function defaultEnv(): EventsEnv {
  if (sharedEnv) return sharedEnv;
  const w = (globalThis as { window?: { runtime?: Partial<WailsRuntime>; go?: unknown } }).window;
  const runtime = w?.runtime && typeof w.runtime.EventsOn === 'function' ? (w.runtime as WailsRuntime) : undefined;
  const es = (globalThis as { EventSource?: new (url: string) => EventSourceLike }).EventSource;
  sharedEnv = {
    runtime,
    eventSource: es,
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
  };
  return sharedEnv;
}

/** asBatch turns an event payload into a batch, dropping anything that is not a run event. */
export function asBatch(data: unknown): RunEvent[] {
  const list = Array.isArray(data) ? data : data && typeof data === 'object' ? [data] : [];
  return list.filter(
    (e): e is RunEvent =>
      typeof e === 'object' && e !== null && typeof (e as RunEvent).type === 'string' && typeof (e as RunEvent).run_id === 'string',
  );
}

/** retryDelay is how long to wait before the n-th (0-based) manual reconnect. */
export function retryDelay(n: number): number {
  return Math.min(10_000, 500 * 2 ** n);
}

/** SubscriptionHandlers receive what a subscription to one event name delivers. */
interface SubscriptionHandlers<T> {
  deliver: (payload: T) => void;
  reconnected?: () => void;
  state?: (state: ConnectionState) => void;
}

/** Listener is one subscription to the shared stream. */
interface Listener {
  name: string;
  message: (data: unknown) => void;
  reconnected?: () => void;
  state?: (state: ConnectionState) => void;
}

/**
 * EventStream is the one EventSource a page keeps open to /api/events, shared by every
 * subscription: a browser allows only six connections to a host, across all its tabs, so a
 * stream per subscription would soon leave none for the API calls. It opens with the first
 * listener and closes with the last; after the stream drops it reconnects (the EventSource
 * retries by itself while it can; one it gave up on is opened anew with backoff) and tells
 * every listener once it is back.
 */
class EventStream {
  readonly #env: EventsEnv;
  readonly #Source: new (url: string) => EventSourceLike;
  readonly #listeners = new Set<Listener>();
  #es: EventSourceLike | null = null;
  #state: ConnectionState = 'connecting';
  #dropped = false; // the stream was lost since it was last open
  #retries = 0;
  #timer: unknown = null;

  constructor(env: EventsEnv, Source: new (url: string) => EventSourceLike) {
    this.#env = env;
    this.#Source = Source;
  }

  add(l: Listener): () => void {
    this.#listeners.add(l);
    if (this.#listeners.size === 1) {
      this.#setState('connecting');
      this.#open();
    } else {
      l.state?.(this.#state);
    }
    return () => {
      if (!this.#listeners.delete(l) || this.#listeners.size > 0) return;
      if (this.#timer !== null) this.#env.clearTimeout(this.#timer);
      this.#timer = null;
      this.#es?.close();
      this.#es = null;
      this.#dropped = false;
      this.#retries = 0;
    };
  }

  #setState(s: ConnectionState): void {
    this.#state = s;
    for (const l of this.#listeners) l.state?.(s);
  }

  #open = (): void => {
    this.#timer = null;
    if (this.#listeners.size === 0) return;
    const source = new this.#Source(EVENTS_URL);
    this.#es = source;
    source.onopen = () => {
      if (this.#es !== source) return;
      this.#retries = 0;
      this.#setState('live');
      if (this.#dropped) {
        this.#dropped = false;
        for (const l of [...this.#listeners]) l.reconnected?.();
      }
    };
    source.onmessage = (ev: MessageEvent) => {
      if (this.#es !== source) return;
      let msg: unknown;
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return; // not ours: ignore rather than break the stream
      }
      if (typeof msg !== 'object' || msg === null) return;
      const { name, data } = msg as { name?: unknown; data?: unknown };
      for (const l of [...this.#listeners]) if (l.name === name) l.message(data);
    };
    source.onerror = () => {
      if (this.#es !== source) return;
      this.#dropped = true;
      this.#setState('reconnecting');
      if (source.readyState === CLOSED) {
        // The browser gave up (an HTTP error, say); try again ourselves.
        source.close();
        this.#es = null;
        this.#timer = this.#env.setTimeout(this.#open, retryDelay(this.#retries++));
      }
    };
  };
}

const streams = new WeakMap<EventsEnv, EventStream>();

/**
 * subscribe delivers the decoded payloads of the events named name until the
 * returned function is called; decode returns null for a payload to drop. In
 * the window it listens with the Wails runtime; in the browser it joins the
 * page's one event stream (EventStream).
 */
function subscribe<T>(name: string, decode: (data: unknown) => T | null, handlers: SubscriptionHandlers<T>, env: EventsEnv): () => void {
  if (env.runtime) {
    const off = env.runtime.EventsOn(name, (data) => {
      const payload = decode(data);
      if (payload !== null) handlers.deliver(payload);
    });
    handlers.state?.('live');
    return () => off();
  }
  const Source = env.eventSource;
  if (!Source) {
    handlers.state?.('reconnecting');
    return () => {};
  }
  let stream = streams.get(env);
  if (!stream) streams.set(env, (stream = new EventStream(env, Source)));
  return stream.add({
    name,
    message: (data) => {
      const payload = decode(data);
      if (payload !== null) handlers.deliver(payload);
    },
    reconnected: handlers.reconnected,
    state: handlers.state,
  });
}

/**
 * subscribeRuns delivers run event batches to handlers until the returned
 * function is called. In the browser it reconnects after the stream drops and
 * calls handlers.reconnected once it is back.
 */
export function subscribeRuns(handlers: RunsHandlers, env: EventsEnv = defaultEnv()): () => void {
  return subscribe(
    EVENT_RUNS,
    (data) => {
      const batch = asBatch(data);
      return batch.length > 0 ? batch : null;
    },
    { deliver: handlers.batch, reconnected: handlers.reconnected, state: handlers.state },
    env,
  );
}

/**
 * EVENT_WORKSPACE carries a batch of changes to the workspace of a session
 * followed with Workspace.Watch.
 */
export const EVENT_WORKSPACE = 'corral:workspace';

/** asWorkspaceEvent checks a corral:workspace payload, returning null for anything else. */
export function asWorkspaceEvent(data: unknown): WorkspaceEvent | null {
  if (typeof data !== 'object' || data === null) return null;
  const ev = data as Partial<WorkspaceEvent>;
  if (typeof ev.session_id !== 'string') return null;
  const changes = Array.isArray(ev.changes)
    ? ev.changes.filter(
        (c): c is WorkspaceChange =>
          typeof c === 'object' && c !== null && typeof c.path === 'string' && typeof c.op === 'string' && typeof c.entry === 'object' && c.entry !== null,
      )
    : [];
  return { ...ev, session_id: ev.session_id, mode: ev.mode === 'polling' ? 'polling' : 'notify', changes };
}

/** WorkspaceHandlers receive what a workspace subscription delivers. */
export interface WorkspaceHandlers {
  /** event receives each workspace event. */
  event: (ev: WorkspaceEvent) => void;
  /** reconnected is called when the stream is back after it dropped: reload the tree. */
  reconnected?: () => void;
}

/**
 * subscribeWorkspace delivers corral:workspace events to handlers until the
 * returned function is called. In the browser it shares the page's event stream.
 */
export function subscribeWorkspace(handlers: WorkspaceHandlers, env: EventsEnv = defaultEnv()): () => void {
  return subscribe(EVENT_WORKSPACE, asWorkspaceEvent, { deliver: handlers.event, reconnected: handlers.reconnected }, env);
}

/** EVENT_SESSIONS carries one SessionEvent: a session renamed or deleted (in any window). */
export const EVENT_SESSIONS = 'corral:sessions';

/** asSessionEvent checks a corral:sessions payload, returning null for anything else. */
export function asSessionEvent(data: unknown): SessionEvent | null {
  if (typeof data !== 'object' || data === null) return null;
  const ev = data as Partial<SessionEvent>;
  if (typeof ev.session_id !== 'string' || (ev.type !== 'session.renamed' && ev.type !== 'session.deleted')) return null;
  if (ev.type === 'session.renamed' && typeof ev.title !== 'string') return null;
  const runIds = Array.isArray(ev.run_ids) ? ev.run_ids.filter((id): id is string => typeof id === 'string') : [];
  return { type: ev.type, session_id: ev.session_id, title: ev.title, run_ids: runIds };
}

/** SessionsHandlers receive what a sessions subscription delivers. */
export interface SessionsHandlers {
  /** event receives each session event. */
  event: (ev: SessionEvent) => void;
  /** reconnected is called when the stream is back after it dropped: reload the list. */
  reconnected?: () => void;
}

/**
 * subscribeSessions delivers corral:sessions events to handlers until the
 * returned function is called. In the browser it shares the page's event stream.
 */
export function subscribeSessions(handlers: SessionsHandlers, env: EventsEnv = defaultEnv()): () => void {
  return subscribe(EVENT_SESSIONS, asSessionEvent, { deliver: handlers.event, reconnected: handlers.reconnected }, env);
}

/** EVENT_JOURNAL says the journal changed, perhaps by another process (a `corral run` in a
 * terminal): reload what is shown. It carries nothing. */
export const EVENT_JOURNAL = 'corral:journal';

/**
 * subscribeJournal calls changed for each corral:journal event until the returned function
 * is called. In the browser it shares the page's event stream.
 */
export function subscribeJournal(changed: () => void, env: EventsEnv = defaultEnv()): () => void {
  return subscribe(EVENT_JOURNAL, () => true, { deliver: () => changed() }, env);
}
