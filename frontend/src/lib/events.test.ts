import { describe, expect, it, vi } from 'vitest';
import {
  EVENT_RUNS,
  EVENTS_URL,
  asBatch,
  isLossyEvent,
  retryDelay,
  subscribeRuns,
  type EventSourceLike,
  type EventsEnv,
  type RunEvent,
} from './events';

/** FakeEventSource records every stream the code opens and lets a test drive it. */
class FakeEventSource implements EventSourceLike {
  static opened: FakeEventSource[] = [];
  readyState = 0;
  closed = false;
  onopen: ((this: never, ev: Event) => unknown) | null = null;
  onmessage: ((this: never, ev: MessageEvent) => unknown) | null = null;
  onerror: ((this: never, ev: Event) => unknown) | null = null;
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  open() {
    this.readyState = 1;
    (this.onopen as ((ev: Event) => void) | null)?.({} as Event);
  }
  send(data: unknown) {
    (this.onmessage as ((ev: MessageEvent) => void) | null)?.({ data: typeof data === 'string' ? data : JSON.stringify(data) } as MessageEvent);
  }
  /** fail drops the stream: the browser retries (CONNECTING) or gives up (CLOSED). */
  fail(gaveUp = false) {
    this.readyState = gaveUp ? 2 : 0;
    (this.onerror as ((ev: Event) => void) | null)?.({} as Event);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
}

/** fakeTimers collects scheduled callbacks to run by hand. */
function fakeEnv(over: Partial<EventsEnv> = {}) {
  FakeEventSource.opened = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const env: EventsEnv = {
    eventSource: FakeEventSource,
    setTimeout: (fn, ms) => {
      timers.push({ fn, ms, cleared: false });
      return timers.length - 1;
    },
    clearTimeout: (id) => {
      timers[id as number].cleared = true;
    },
    ...over,
  };
  return { env, timers };
}

const ev = (over: Partial<RunEvent> = {}): RunEvent => ({ type: 'text.delta', run_id: 'run_1', seq: 2, time: '2026-11-23T10:00:00Z', text: 'hi', ...over });

function handlers() {
  return { batch: vi.fn<(b: RunEvent[]) => void>(), reconnected: vi.fn(), state: vi.fn() };
}

describe('catalog', () => {
  it('names the one event and marks deltas and retries lossy', () => {
    expect(EVENT_RUNS).toBe('corral:runs');
    expect(isLossyEvent('text.delta')).toBe(true);
    expect(isLossyEvent('model.retry')).toBe(true);
    expect(isLossyEvent('tool.finished')).toBe(false);
  });

  it('asBatch keeps run events and drops anything else', () => {
    expect(asBatch([ev(), { nope: 1 }, null, 'x'])).toEqual([ev()]);
    expect(asBatch(ev())).toEqual([ev()]);
    expect(asBatch(null)).toEqual([]);
  });

  it('retryDelay backs off to 10 s', () => {
    expect([0, 1, 2, 5, 10].map(retryDelay)).toEqual([500, 1000, 2000, 10_000, 10_000]);
  });
});

describe('subscribeRuns over EventSource', () => {
  it('opens /api/events and dispatches corral:runs batches in order', () => {
    const { env } = fakeEnv();
    const h = handlers();
    subscribeRuns(h, env);
    const es = FakeEventSource.opened[0];
    expect(es.url).toBe(EVENTS_URL);
    es.open();
    expect(h.state).toHaveBeenLastCalledWith('live');

    es.send({ name: EVENT_RUNS, data: [ev({ text: 'a' }), ev({ text: 'b' })] });
    es.send({ name: 'corral:other', data: [ev()] });
    es.send('not json');
    es.send({ name: EVENT_RUNS, data: [] });

    expect(h.batch).toHaveBeenCalledTimes(1);
    expect(h.batch.mock.calls[0][0].map((e) => e.text)).toEqual(['a', 'b']);
    expect(h.reconnected).not.toHaveBeenCalled();
  });

  it('calls reconnected once the browser has reconnected after an error', () => {
    const { env } = fakeEnv();
    const h = handlers();
    subscribeRuns(h, env);
    const es = FakeEventSource.opened[0];
    es.open();
    es.fail();
    expect(h.state).toHaveBeenLastCalledWith('reconnecting');
    expect(h.reconnected).not.toHaveBeenCalled();

    es.open(); // the EventSource retried by itself
    expect(h.reconnected).toHaveBeenCalledTimes(1);
    expect(h.state).toHaveBeenLastCalledWith('live');
    expect(FakeEventSource.opened).toHaveLength(1);

    es.open(); // a second open without an error in between is not a reconnect
    expect(h.reconnected).toHaveBeenCalledTimes(1);
  });

  it('opens a new stream with backoff when the browser gave up, then reloads', () => {
    const { env, timers } = fakeEnv();
    const h = handlers();
    subscribeRuns(h, env);
    const first = FakeEventSource.opened[0];
    first.open();
    first.fail(true);
    expect(first.closed).toBe(true);
    expect(timers).toHaveLength(1);
    expect(timers[0].ms).toBe(500);

    timers[0].fn();
    const second = FakeEventSource.opened[1];
    second.fail(true); // still down
    expect(timers[1].ms).toBe(1000);
    timers[1].fn();
    const third = FakeEventSource.opened[2];
    third.open();
    expect(h.reconnected).toHaveBeenCalledTimes(1);

    // Events from a stream that was replaced are ignored.
    first.send({ name: EVENT_RUNS, data: [ev()] });
    expect(h.batch).not.toHaveBeenCalled();
    third.send({ name: EVENT_RUNS, data: [ev()] });
    expect(h.batch).toHaveBeenCalledTimes(1);
  });

  it('stops on unsubscribe: closes the stream and cancels a pending retry', () => {
    const { env, timers } = fakeEnv();
    const h = handlers();
    const stop = subscribeRuns(h, env);
    const es = FakeEventSource.opened[0];
    es.fail(true);
    stop();
    expect(timers[0].cleared).toBe(true);
    es.send({ name: EVENT_RUNS, data: [ev()] });
    expect(h.batch).not.toHaveBeenCalled();

    const { env: env2 } = fakeEnv();
    const stop2 = subscribeRuns(handlers(), env2);
    stop2();
    expect(FakeEventSource.opened[0].closed).toBe(true);
  });
});

describe('subscribeRuns in the Wails window', () => {
  it('uses runtime.EventsOn and its unsubscribe function', () => {
    const off = vi.fn();
    let cb: ((...data: unknown[]) => void) | undefined;
    const runtime = {
      EventsOn: vi.fn((name: string, fn: (...data: unknown[]) => void) => {
        expect(name).toBe(EVENT_RUNS);
        cb = fn;
        return off;
      }),
    };
    const { env } = fakeEnv({ runtime });
    const h = handlers();
    const stop = subscribeRuns(h, env);
    expect(FakeEventSource.opened).toHaveLength(0);
    expect(h.state).toHaveBeenCalledWith('live');

    cb?.([ev({ text: 'x' })]);
    expect(h.batch).toHaveBeenCalledWith([ev({ text: 'x' })]);
    stop();
    expect(off).toHaveBeenCalledTimes(1);
  });
});

describe('subscribeWorkspace', () => {
  it('delivers corral:workspace events through Wails and drops malformed ones', async () => {
    const { subscribeWorkspace, EVENT_WORKSPACE } = await import('./events');
    const listeners = new Map<string, (...data: unknown[]) => void>();
    const off = vi.fn();
    const env: EventsEnv = {
      runtime: { EventsOn: (name, cb) => (listeners.set(name, cb), off) },
      setTimeout: () => 0,
      clearTimeout: () => {},
    };
    const got: unknown[] = [];
    const stop = subscribeWorkspace({ event: (ev) => got.push(ev) }, env);
    const cb = listeners.get(EVENT_WORKSPACE)!;
    cb({ session_id: 's', mode: 'polling', warning: 'w', changes: [{ path: 'a', op: 'created', entry: { path: 'a' } }, { bad: 1 }] });
    cb({ nope: true });
    expect(got).toEqual([{ session_id: 's', mode: 'polling', warning: 'w', changes: [{ path: 'a', op: 'created', entry: { path: 'a' } }] }]);
    stop();
    expect(off).toHaveBeenCalled();
  });

  it('picks corral:workspace messages off the event stream', async () => {
    const { subscribeWorkspace } = await import('./events');
    FakeEventSource.opened = [];
    const env: EventsEnv = { eventSource: FakeEventSource, setTimeout: () => 0, clearTimeout: () => {} };
    const got: unknown[] = [];
    const stop = subscribeWorkspace({ event: (ev) => got.push(ev) }, env);
    const es = FakeEventSource.opened[0];
    es.open();
    es.send({ name: EVENT_RUNS, data: [] });
    es.send({ name: 'corral:workspace', data: { session_id: 's', changes: null, rescan: true, mode: 'notify' } });
    expect(got).toEqual([{ session_id: 's', changes: [], rescan: true, mode: 'notify' }]);
    stop();
  });
});

describe('one stream per page', () => {
  it('serves runs, workspace and sessions subscriptions from one EventSource, and closes it with the last', async () => {
    const { subscribeWorkspace, subscribeSessions } = await import('./events');
    const { env, timers } = fakeEnv();
    const runs = handlers();
    const ws: unknown[] = [];
    const sessions: unknown[] = [];
    const stopRuns = subscribeRuns(runs, env);
    const stopWs = subscribeWorkspace({ event: (e) => ws.push(e) }, env);
    const sessionsReconnected = vi.fn();
    const stopSessions = subscribeSessions({ event: (e) => sessions.push(e), reconnected: sessionsReconnected }, env);
    expect(FakeEventSource.opened).toHaveLength(1);

    const es = FakeEventSource.opened[0];
    es.open();
    es.send({ name: EVENT_RUNS, data: [ev()] });
    es.send({ name: 'corral:workspace', data: { session_id: 's', changes: [], mode: 'notify' } });
    es.send({ name: 'corral:sessions', data: { type: 'session.renamed', session_id: 's', title: 't' } });
    expect(runs.batch).toHaveBeenCalledTimes(1);
    expect(ws).toHaveLength(1);
    expect(sessions).toHaveLength(1);

    // A drop and a fresh stream reach every subscriber once.
    es.fail(true);
    timers[0].fn();
    FakeEventSource.opened[1].open();
    expect(runs.reconnected).toHaveBeenCalledTimes(1);
    expect(sessionsReconnected).toHaveBeenCalledTimes(1);
    expect(FakeEventSource.opened).toHaveLength(2);

    stopRuns();
    stopWs();
    expect(FakeEventSource.opened[1].closed).toBe(false);
    stopSessions();
    expect(FakeEventSource.opened[1].closed).toBe(true);
  });

  it('tells a late subscriber the stream is already live', () => {
    const { env } = fakeEnv();
    subscribeRuns(handlers(), env);
    FakeEventSource.opened[0].open();
    const late = handlers();
    subscribeRuns(late, env);
    expect(late.state).toHaveBeenLastCalledWith('live');
    expect(FakeEventSource.opened).toHaveLength(1);
  });
});
