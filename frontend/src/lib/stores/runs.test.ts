import { describe, expect, it } from 'vitest';
import type { RunView, SessionView, Span, StartRequest } from '../api';
import type { RunEvent } from '../events';
import { resumeSpan, traceOf, type StepRecord } from '../trace/fixtures';
import { runFixture, sessionFixture } from './fixtures';
import { OUTLINE_STEPS, RunsStore, type RunsApi, type Timers } from './runs.svelte';

const T = '2026-11-23T10:05:00Z';
const ev = (type: RunEvent['type'], over: Partial<RunEvent> = {}): RunEvent => ({ type, run_id: 'run_1', time: T, ...over });

const configStep: StepRecord = {
  seq: 1,
  name: 'run.config',
  kind: 'config',
  status: 'completed',
  idempotent: true,
  attempt: 1,
  output: { agent: 'coder' },
  usage: { input_tokens: 0, output_tokens: 0 },
  cost_usd: 0,
  started_at: T,
  finished_at: T,
};

/** setup returns a store over a fake API and hand-run timers. */
function setup(sessions: SessionView[] = [sessionFixture()], steps: Record<string, StepRecord[]> = {}) {
  const calls = { sessions: 0, steps: [] as string[], start: [] as StartRequest[], cancel: [] as string[], resume: [] as string[] };
  let started: RunView = runFixture({ id: 'run_new', session_id: 'ses_new', status: 'pending', prompt: 'new task' });
  const fake: RunsApi = {
    sessions: async () => {
      calls.sessions++;
      return sessions;
    },
    trace: async (id) => {
      calls.steps.push(id);
      return { version: 1, trace_id: 't', run: undefined as never, spans: [...traceOf(steps[id] ?? []).spans, ...(resumeSpans[id] ?? [])] };
    },
    startRun: async (req) => {
      calls.start.push(req);
      return { ...started, prompt: req.prompt, session_id: req.session_id || started.session_id };
    },
    resumeRun: async (id) => void calls.resume.push(id),
    cancelRun: async (id) => {
      calls.cancel.push(id);
      if (id === 'gone') throw 'run gone is not running here';
    },
  };
  const pending: { fn: () => void; ms: number; done: boolean }[] = [];
  let now = 0;
  const timers: Timers = {
    set: (fn, ms) => {
      pending.push({ fn, ms, done: false });
      return pending.length - 1;
    },
    clear: (id) => {
      pending[id as number].done = true;
    },
    now: () => now,
  };
  /** flush runs every pending timer, as if time passed. */
  const flush = async () => {
    now += 10_000;
    for (const p of pending.splice(0)) if (!p.done) p.fn();
    await tick();
  };
  const store = new RunsStore(fake, timers);
  return {
    store,
    calls,
    flush,
    pending,
    setSessions: (s: SessionView[]) => (sessions = s),
    setStarted: (r: RunView) => (started = r),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** resumeSpans are added to a run's trace by the fake API. */
const resumeSpans: Record<string, Span[]> = {};

describe('RunsStore loading and selection', () => {
  it('loads sessions and selects the latest run of the most recent session', async () => {
    const s = sessionFixture({ runs: [runFixture({ id: 'run_1' }), runFixture({ id: 'run_2' })] });
    const { store, calls } = setup([s], { run_2: [configStep] });
    await store.loadSessions();
    expect(store.loaded).toBe(true);
    expect(store.selectedSessionId).toBe('ses_1');
    expect(store.selectedRunId).toBe('run_2');
    await tick();
    expect(calls.steps).toEqual(['run_2']);
    expect(store.peekTrace('run_2')?.state).toBe('ready');
  });

  it('selects nothing when there are no sessions, and records a load error', async () => {
    const { store } = setup([]);
    await store.loadSessions();
    expect(store.selectedSessionId).toBeNull();
    const failing: RunsApi = {
      sessions: () => Promise.reject('backend gone'),
      trace: async () => ({ version: 1, trace_id: 't', run: undefined as never, spans: [] }),
      startRun: () => Promise.reject('unused'),
      resumeRun: async () => {},
      cancelRun: async () => {},
    };
    const bad = new RunsStore(failing);
    await bad.loadSessions();
    expect(bad.loadError).toBe('backend gone');
    expect(bad.loaded).toBe(true);
  });

  it('newSession clears the selection', async () => {
    const { store } = setup();
    await store.loadSessions();
    store.newSession();
    expect(store.selectedSessionId).toBeNull();
    expect(store.selectedRunId).toBeNull();
  });
});

describe('RunsStore.applyBatch', () => {
  it('updates the run list from run events', async () => {
    const { store } = setup([sessionFixture({ runs: [runFixture({ status: 'running' })] })]);
    await store.loadSessions();
    store.applyBatch([ev('model.started', { seq: 4 }), ev('run.completed', { status: 'completed', session_id: 'ses_1' })]);
    expect(store.selectedRun).toMatchObject({ status: 'completed', steps: 4 });
  });

  it('appends text deltas to the right step of the right run', async () => {
    const { store } = setup([sessionFixture({ runs: [runFixture({ status: 'running' })] })], { run_1: [configStep] });
    await store.loadSessions();
    await tick();
    store.applyBatch([
      ev('model.started', { seq: 2 }),
      ev('text.delta', { seq: 2, text: 'Hello ' }),
      ev('text.delta', { seq: 2, text: 'other run', run_id: 'run_9' }),
    ]);
    store.applyBatch([ev('text.delta', { seq: 2, text: 'world' })]);
    const steps = store.peekTrace('run_1')!.steps;
    expect(steps.map((s) => [s.seq, s.kind])).toEqual([
      [1, 'config'],
      [2, 'llm'],
    ]);
    expect(steps[1].text).toBe('Hello world');
    expect(store.peekTrace('run_9')).toBeUndefined();
  });

  it('turns tool events into tool steps for the cards', async () => {
    const { store } = setup([sessionFixture({ runs: [runFixture({ status: 'running' })] })]);
    await store.loadSessions();
    store.applyBatch([
      ev('tool.started', { seq: 3, tool: 'exec', input: { command: 'go test ./...' } }),
      ev('tool.finished', { seq: 3, tool: 'exec', result: { content: 'Exit code: 2\nFAIL', is_error: false }, duration_ms: 900 }),
      ev('tool.started', { seq: 4, tool: 'edit', input: { path: 'a.go', old_string: 'x', new_string: 'y' } }),
    ]);
    const steps = store.peekTrace('run_1')!.steps;
    expect(steps.map((s) => [s.seq, s.name, s.status])).toEqual([
      [3, 'exec', 'completed'],
      [4, 'edit', 'started'],
    ]);
    expect(steps[0].output).toMatchObject({ content: 'Exit code: 2\nFAIL' });
  });

  it('gives a run that starts a trace at once, and reloads the list to learn it', async () => {
    const { store, calls, flush } = setup();
    await store.loadSessions();
    store.applyBatch([ev('run.started', { run_id: 'run_cli', session_id: 'ses_1', status: 'running' }), ev('model.started', { run_id: 'run_cli', seq: 2 }), ev('text.delta', { run_id: 'run_cli', seq: 2, text: 'hi' })]);
    expect(store.peekTrace('run_cli')?.steps[0].text).toBe('hi');
    expect(calls.sessions).toBe(1);
    await flush();
    expect(calls.sessions).toBe(2);
  });

  it('refreshes a live run from its journal after steps finish, and at its end', async () => {
    const { store, calls, flush, pending } = setup([sessionFixture({ runs: [runFixture({ status: 'running' })] })]);
    await store.loadSessions();
    await tick();
    expect(calls.steps).toEqual(['run_1']);
    store.applyBatch([ev('tool.finished', { seq: 3, tool: 'exec', result: { content: 'ok', is_error: false } })]);
    store.applyBatch([ev('tool.finished', { seq: 4, tool: 'exec', result: { content: 'ok', is_error: false } })]);
    expect(pending.filter((p) => !p.done)).toHaveLength(1); // throttled to one reload
    store.applyBatch([ev('run.completed', { status: 'completed' })]);
    await flush();
    expect(calls.steps).toEqual(['run_1', 'run_1']);
  });
});

describe('RunsStore resumes', () => {
  it('reloads a run resumed after it stopped part way, so its marker shows without a reload', async () => {
    const steps = { run_1: [configStep] };
    const { store, calls, flush } = setup([sessionFixture({ runs: [runFixture({ status: 'interrupted' })] })], steps);
    await store.loadSessions();
    await tick();
    expect(calls.steps).toEqual(['run_1']);
    expect(store.peekTrace('run_1')?.resumes).toEqual([]);
    // Going on after an approval answer is not a resume: nothing to reload for.
    store.applyBatch([ev('run.resumed', { status: 'running', session_id: 'ses_1' })]);
    await flush();
    expect(calls.steps).toEqual(['run_1']);
    resumeSpans.run_1 = [resumeSpan(1, T)];
    store.applyBatch([ev('run.resumed', { status: 'running', session_id: 'ses_1', reason: 'interrupted' })]);
    await flush();
    expect(calls.steps).toEqual(['run_1', 'run_1']);
    expect(store.peekTrace('run_1')?.resumes.map((r) => [r.afterSeq, r.reason])).toEqual([[1, 'interrupted']]);
    delete resumeSpans.run_1;
  });
});

describe('RunsStore actions', () => {
  it('starts a new session when none is selected, and selects the new run', async () => {
    const { store, calls } = setup();
    await store.loadSessions();
    store.newSession();
    const run = await store.start('  new task  ', { agent: 'coder', provider: 'demo', model: '', sandbox: 'local', workspace: '/tmp/ws' });
    expect(run?.id).toBe('run_new');
    expect(calls.start[0]).toEqual({ session_id: '', agent: 'coder', prompt: 'new task', workspace: '/tmp/ws', provider: 'demo', model: '', sandbox: 'local', scope: '' });
    expect(store.selectedSessionId).toBe('ses_new');
    expect(store.selectedRunId).toBe('run_new');
    expect(store.sessions[0].id).toBe('ses_new');
  });

  it('starts a new session instead of continuing an imported one', async () => {
    const { store, calls } = setup([sessionFixture({ id: 'imp_ses_1', origin: 'imported' })]);
    await store.loadSessions();
    expect(store.selectedSessionId).toBe('imp_ses_1');
    await store.start('try it here', { agent: '', provider: '', model: '', sandbox: '', workspace: '/tmp/mine' });
    expect(calls.start[0]).toMatchObject({ session_id: '', prompt: 'try it here', workspace: '/tmp/mine' });
  });

  it('passes the docker container scope the prompt box chose', async () => {
    const { store, calls } = setup([]);
    await store.loadSessions();
    await store.start('in docker', { agent: '', provider: '', model: '', sandbox: 'docker', scope: 'session', workspace: '' });
    expect(calls.start[0]).toMatchObject({ sandbox: 'docker', scope: 'session' });
  });

  it('continues the selected session with a follow-up', async () => {
    const { store, calls, setStarted } = setup();
    await store.loadSessions();
    setStarted(runFixture({ id: 'run_2', session_id: 'ses_1', status: 'pending' }));
    await store.start('and add tests', { agent: '', provider: '', model: '', sandbox: '', workspace: '/ignored' });
    expect(calls.start[0]).toMatchObject({ session_id: 'ses_1', prompt: 'and add tests', workspace: '' });
    expect(store.selectedSession?.runs.map((r) => r.id)).toEqual(['run_1', 'run_2']);
    expect(store.selectedRunId).toBe('run_2');
  });

  it('does not send an empty prompt', async () => {
    const { store, calls } = setup();
    expect(await store.start('   ', { agent: '', provider: '', model: '', sandbox: '', workspace: '' })).toBeNull();
    expect(calls.start).toHaveLength(0);
  });

  it('cancels and resumes, and shows a failure', async () => {
    const { store, calls } = setup();
    await store.cancel('run_1');
    await store.resume('run_1');
    expect(calls.cancel).toEqual(['run_1']);
    expect(calls.resume).toEqual(['run_1']);
    expect(store.actionError).toBeNull();
    await store.cancel('gone');
    expect(store.actionError).toBe('run gone is not running here');
  });

  it('reconnected reloads the list and the traces on screen', async () => {
    const { store, calls } = setup([sessionFixture()], { run_1: [configStep] });
    await store.loadSessions();
    await tick();
    await store.reconnected();
    expect(calls.sessions).toBe(2);
    expect(calls.steps).toEqual(['run_1', 'run_1']);
  });

  it('shares one in-flight steps load', async () => {
    const { store, calls } = setup();
    const a = store.loadSteps('run_1');
    const b = store.loadSteps('run_1');
    expect(a).toBe(b);
    await a;
    expect(calls.steps).toEqual(['run_1']);
  });
});

describe('RunsStore.journalChanged', () => {
  const at = (t: string) => sessionFixture({ runs: [runFixture({ id: 'run_1', status: 'running', steps: 2, updated_at: t })] });

  it('reloads the list, and the trace of a run another process moved on', async () => {
    const { store, calls, setSessions } = setup([at('2026-11-23T10:01:00Z')], { run_1: [configStep] });
    await store.loadSessions();
    await tick();
    expect(calls.steps).toEqual(['run_1']);
    const listed = calls.sessions;

    setSessions([at('2026-11-23T10:02:00Z')]); // a step recorded by `corral run` elsewhere
    await store.journalChanged();
    expect(calls.sessions).toBe(listed + 1);
    expect(calls.steps).toEqual(['run_1', 'run_1']);

    await store.journalChanged(); // nothing moved: the list is read, the trace is not
    expect(calls.steps).toEqual(['run_1', 'run_1']);
  });

  it('leaves the trace of a run that streams its events here to those events', async () => {
    const { store, calls, setSessions } = setup([at('2026-11-23T10:01:00Z')], { run_1: [configStep] });
    await store.loadSessions();
    await tick();
    store.applyBatch([ev('model.started', { seq: 2 })]);
    setSessions([at('2026-11-23T10:02:00Z')]);
    await store.journalChanged();
    expect(calls.steps).toEqual(['run_1']);
  });
});

describe('RunsStore outlines', () => {
  it('opens a long run as an outline and loads the content of the pages asked for, once each', async () => {
    const big = runFixture({ id: 'run_big', steps: OUTLINE_STEPS });
    const asked: string[] = [];
    const fake: RunsApi = {
      sessions: async () => [sessionFixture({ runs: [big] })],
      trace: async () => {
        throw new Error('a long run is not read whole');
      },
      traceOutline: async (id) => {
        asked.push(`outline ${id}`);
        return {
          version: 1,
          trace_id: 't',
          run: undefined as never,
          steps: Array.from({ length: OUTLINE_STEPS }, (_, i) => ({ seq: i + 1, kind: 'tool' as const, name: 'exec', status: 'completed' as const, attempt: 1 })),
          spans: [],
        };
      },
      traceSteps: async (_id, from, to) => {
        asked.push(`steps ${from}-${to}`);
        if (from > 1000) throw 'database is locked';
        return traceOf(
          Array.from({ length: to - from + 1 }, (_, i) => ({ ...configStep, seq: from + i, kind: 'tool' as const, name: 'exec', input: { command: `c${from + i}` } })),
        ).spans;
      },
      startRun: () => Promise.reject('unused'),
      resumeRun: async () => {},
      cancelRun: async () => {},
    };
    const store = new RunsStore(fake);
    await store.loadSessions();
    await tick();
    const t = store.peekTrace('run_big')!;
    expect(asked).toEqual(['outline run_big']);
    expect(t.outlined).toBe(true);
    expect(t.steps).toHaveLength(OUTLINE_STEPS);
    await Promise.all([store.loadContent('run_big', 150, 160), store.loadContent('run_big', 120, 199)]);
    expect(asked.slice(1)).toEqual(['steps 101-200']);
    expect(t.step(150)).toMatchObject({ input: { command: 'c150' } });
    expect(t.step(150)?.partial).toBeFalsy();
    expect(t.step(99)?.partial).toBe(true);
    // A page that fails is asked for again next time.
    await store.loadContent('run_big', 1001, 1001);
    expect(t.error).toBe('database is locked');
    await store.loadContent('run_big', 1001, 1001);
    expect(asked.filter((a) => a === 'steps 1001-1100')).toHaveLength(2);
    // A reload keeps to the outline.
    await store.loadSteps('run_big');
    expect(asked.filter((a) => a.startsWith('outline'))).toHaveLength(2);
    expect(t.step(150)?.partial).toBeFalsy();
  });
});
