import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { RunView, SessionView } from '../api';
import { runFixture, sessionFixture } from '../stores/fixtures';
import { RunsStore, type RunsApi } from '../stores/runs.svelte';
import { stepOf, traceOf, type StepRecord } from '../trace/fixtures';
import { RunTrace } from '../trace/trace.svelte';
import RunArea from './RunArea.svelte';
import RunTurn from './RunTurn.svelte';
import Sidebar from './Sidebar.svelte';
import ToolCard from './ToolCard.svelte';

const noop = () => {};
const T = '2026-11-23T10:00:00Z';

function view(seq: number, kind: StepRecord['kind'], name: string, over: Partial<StepRecord> = {}): StepRecord {
  return { seq, kind, name, status: 'completed', idempotent: true, attempt: 1, usage: { input_tokens: 0, output_tokens: 0 }, cost_usd: 0, started_at: T, finished_at: T, ...over };
}

const llm = (seq: number, text: string) => view(seq, 'llm', 'model', { output: { content: [{ type: 'text', text }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 }, model: 'm', id: 'x' } });

/** storeWith returns a store whose session list is sessions, selected as given. */
async function storeWith(sessions: SessionView[], select?: [string, string]) {
  const fake: RunsApi = {
    sessions: async () => sessions,
    trace: async () => ({ version: 1, trace_id: 't', run: undefined as never, spans: [] }),
    startRun: () => Promise.reject('unused'),
    resumeRun: async () => {},
    cancelRun: async () => {},
  };
  const store = new RunsStore(fake);
  await store.loadSessions();
  if (select) store.select(...select);
  return store;
}

describe('ToolCard', () => {
  it('shows the command and its exit code, with stable test ids', () => {
    const step = stepOf(view(3, 'tool', 'exec', { input: { command: 'go test ./...' }, output: { content: 'Exit code: 1', is_error: false, meta: { exit_code: 1 } } }));
    const { body } = render(ToolCard, { props: { step } });
    expect(body).toContain('data-testid="tool-card"');
    expect(body).toContain('data-tool="exec"');
    expect(body).toContain('go test ./...');
    expect(body).toContain('exit 1');
  });

  it('shows the end of a failed command\'s output (the traceback), not its "Exit code" line', () => {
    const content = 'Exit code: 1\n--- stdout ---\ncollected 3 items\nTraceback (most recent call last):\n  File "t.py", line 3\n    assert f() == 2\nAssertionError: assert 1 == 2\n';
    const step = stepOf(view(3, 'tool', 'exec', { input: { command: 'pytest' }, output: { content, is_error: true, meta: { exit_code: 1 } } }));
    const { body } = render(ToolCard, { props: { step } });
    const tail = /data-testid="tool-error-tail"[^>]*>([^<]*)</.exec(body)?.[1] ?? '';
    expect(tail).toContain('AssertionError: assert 1 == 2');
    expect(tail).toContain('Traceback');
    expect(tail).not.toContain('Exit code');
  });

  it('shows the approval as a badge on the card', () => {
    const step = stepOf(view(3, 'tool', 'exec', { input: { command: 'ls' }, output: { content: 'Exit code: 0', meta: { exit_code: 0 } } }));
    const { body } = render(ToolCard, { props: { step, gate: { text: 'approved', title: 'Approved in the window (step #2)' } } });
    expect(body).toMatch(/data-testid="tool-gate"[^>]*>approved</);
  });

  it('shows a file change as +added −removed', () => {
    const step = stepOf(view(4, 'tool', 'edit', { input: { path: 'main.go' }, output: { content: 'Edited', meta: { added: 3, removed: 1 } } }));
    const { body } = render(ToolCard, { props: { step } });
    expect(body).toContain('data-tool="edit"');
    expect(body).toContain('main.go');
    expect(body).toContain('+3');
    expect(body).toContain('−1');
  });
});

describe('RunTurn', () => {
  function turn(run: RunView, views: StepRecord[]) {
    const trace = new RunTrace(run.id);
    trace.setHistory(traceOf(views));
    return render(RunTurn, { props: { run, trace, selected: false, onselect: noop, oninspect: noop } }).body;
  }

  it('renders the prompt, the assistant text as Markdown, and tool cards in order', () => {
    const body = turn(runFixture(), [
      view(1, 'config', 'run.config', { output: { agent: 'coder' } }),
      llm(2, 'First **bold** step'),
      view(3, 'tool', 'read', { input: { path: 'a.txt' }, output: { content: 'x', meta: { lines: 1 } } }),
      llm(4, 'Done.'),
    ]);
    expect(body).toContain('write a word count script');
    expect(body.match(/data-testid="assistant-text"/g)).toHaveLength(2);
    expect(body).toContain('First <strong>bold</strong> step');
    expect(body.indexOf('data-tool="read"')).toBeGreaterThan(body.indexOf('First'));
    expect(body.indexOf('data-tool="read"')).toBeLessThan(body.indexOf('Done.'));
    expect(body).toContain('1 tool call');
  });

  it('shows a compaction in the conversation: running with its estimate, then what it summarized', () => {
    const input = { v: 1, reason: 'threshold', messages: 40, summarized: 31, tokens: 168000, window: 200000 };
    const done = turn(runFixture(), [llm(2, 'Working'), view(3, 'compact', 'compact', { input, output: { v: 1, summary: 's', ledger: 'l', kept: [] } }), llm(4, 'Going on')]);
    expect(done).toMatch(/data-testid="compaction"[^>]*data-status="completed"/);
    expect(done).toContain('31 older messages summarized');
    expect(done).toContain('the next request would have passed the compaction threshold');
    expect(done.indexOf('data-testid="compaction"')).toBeLessThan(done.indexOf('Going on'));
    const running = turn(runFixture({ status: 'running' }), [view(3, 'compact', 'compact', { status: 'started', finished_at: undefined, input: { ...input, reason: 'too_long' } })]);
    expect(running).toContain('Compacting the conversation (about 168k tokens)');
    expect(running).toContain('the provider answered that the prompt was too long');
  });

  it('escapes what the model wrote', () => {
    const body = turn(runFixture(), [llm(2, 'try <script>alert(1)</script> and <img src=x onerror=alert(1)>')]);
    expect(body).not.toContain('<script>alert');
    expect(body).not.toContain('<img');
    expect(body).toContain('&lt;script&gt;');
  });

  it('shows thinking collapsed, apart from the answer, and a refused run with its badge and explanation', () => {
    const body = turn(runFixture({ status: 'refused', error: 'I cannot help with that.' }), [
      view(2, 'llm', 'model', {
        output: { content: [{ type: 'thinking', thinking: 'Weigh the request.', signature: 'sig' }, { type: 'text', text: 'No.' }], stop_reason: 'refusal', usage: { input_tokens: 1, output_tokens: 1 } },
      }),
    ]);
    const details = body.match(/<details[^>]*data-testid="thinking"[^>]*>/)?.[0];
    expect(details).toBeDefined();
    expect(details).not.toMatch(/\sopen[\s=>]/);
    expect(body).toContain('Weigh the request.');
    expect(body.indexOf('Weigh the request.')).toBeLessThan(body.indexOf('data-testid="assistant-text"'));
    expect(body).toContain('data-status="refused"');
    expect(body).toContain('I cannot help with that.');
  });

  it('shows a failed run with its error, and a step waiting for approval', () => {
    const body = turn(runFixture({ status: 'awaiting_approval', error: 'step 3: write waits for approval' }), [
      llm(2, 'Writing'),
      view(3, 'approval', 'write', { status: 'started', finished_at: undefined, input: { tool: 'write', input: { path: 'wc.sh', content: '' } } }),
    ]);
    expect(body).toContain('data-testid="approval-waiting"');
    expect(body).toContain('wc.sh');
    expect(body).toContain('step 3: write waits for approval');
    // Waiting is not an error: a neutral note, not the red alert box.
    expect(body).toContain('data-testid="run-waiting"');
    expect(body).not.toContain('class="run-error');
  });

  it('folds an approval a person answered into its tool card as a badge', () => {
    const body = turn(runFixture(), [
      llm(2, 'Listing'),
      view(3, 'approval', 'exec', { input: { tool: 'exec', input: { command: 'ls -la' } }, output: { answer: { by: 'window', action: 'approve' }, outcome: { run: true } } }),
      view(4, 'tool', 'exec', { input: { command: 'ls -la' }, output: { content: 'Exit code: 0', meta: { exit_code: 0 } } }),
    ]);
    expect(body).not.toMatch(/<p class="gate/); // no line of its own above the card
    expect(body).toMatch(/<span[^>]*title="Approved in the window \(step #3\)"[^>]*data-testid="tool-gate"/);
  });
});

describe('Sidebar', () => {
  it('lists sessions with their runs and status', async () => {
    const store = await storeWith([
      sessionFixture({ id: 'ses_a', runs: [runFixture({ id: 'run_a', session_id: 'ses_a', status: 'running' }), runFixture({ id: 'run_b', session_id: 'ses_a', status: 'failed', prompt: 'again' })] }),
      sessionFixture({ id: 'ses_b', title: 'other', runs: [runFixture({ id: 'run_c', session_id: 'ses_b', status: 'cancelled' })] }),
    ]);
    const { body } = render(Sidebar, { props: { store } });
    expect(body.match(/data-testid="session-item"/g)).toHaveLength(2);
    expect(body.match(/data-testid="run-item"/g)).toHaveLength(3);
    expect(body).toMatch(/data-testid="run-item"[^>]*data-status="running"/);
    expect(body).toMatch(/data-testid="run-item"[^>]*data-status="failed"/);
    expect(body).toContain('cancelled');
    expect(body).toContain('data-testid="session-search"');
  });

  it('says so when there are no sessions', async () => {
    const store = await storeWith([]);
    expect(render(Sidebar, { props: { store } }).body).toContain('No sessions yet');
  });
});

describe('RunArea', () => {
  it('shows the selected run status and cancel for a running run', async () => {
    const store = await storeWith([sessionFixture({ runs: [runFixture({ status: 'running' })] })]);
    const { body } = render(RunArea, { props: { store, onopenproviders: noop } });
    expect(body).toMatch(/data-testid="run-status"[^>]*>.*running/s);
    expect(body).toContain('data-testid="cancel-run"');
    expect(body).not.toContain('data-testid="resume-run"');
    expect(body).toContain('data-testid="prompt-input"');
    expect(body).toContain('data-testid="prompt-send"');
  });

  it('offers resume for a cancelled run', async () => {
    const store = await storeWith([sessionFixture({ runs: [runFixture({ status: 'cancelled' })] })]);
    const { body } = render(RunArea, { props: { store, onopenproviders: noop } });
    expect(body).toContain('data-testid="resume-run"');
    expect(body).not.toContain('data-testid="cancel-run"');
  });

  it('asks what to do with the cut-off command of an interrupted run', async () => {
    const store = await storeWith([sessionFixture({ runs: [runFixture({ status: 'interrupted' })] })]);
    const { body } = render(RunArea, { props: { store, onopenproviders: noop } });
    for (const id of ['resolve-rerun', 'resolve-skip', 'resolve-fail']) {
      expect(body).toContain(`data-testid="${id}"`);
    }
    // A plain resume would only stop again at the same step.
    expect(body).not.toContain('data-testid="resume-run"');
    expect(body).not.toContain('data-testid="cancel-run"');
  });

  it('welcomes a new session', async () => {
    const store = await storeWith([]);
    const { body } = render(RunArea, { props: { store, onopenproviders: noop, demoHint: true } });
    expect(body).toContain('Start a session');
    expect(body).toContain('demo model');
    expect(body).not.toContain('data-testid="run-status"');
  });

  it('renders the trace graph and the timeline tabs with their test ids', async () => {
    const store = await storeWith([sessionFixture()]);
    const trace = store.peekTrace('run_1')!;
    trace.setHistory(traceOf([view(1, 'config', 'run.config'), llm(2, 'hi')]));
    const graph = render(RunArea, { props: { store, onopenproviders: noop, tab: 'trace' } }).body;
    expect(graph).toContain('data-testid="trace-graph"');
    const timeline = render(RunArea, { props: { store, onopenproviders: noop, tab: 'timeline' } }).body;
    expect(timeline).toContain('data-testid="timeline"');
  });

  it("links a forked session's trace to the session it was forked from", async () => {
    const origin = sessionFixture({ id: 'ses_o', title: 'the original' });
    const fork = sessionFixture({
      id: 'ses_f',
      runs: [runFixture({ id: 'run_f', session_id: 'ses_f' })],
      forked_from: { session_id: 'ses_f', workspace: '/w', from_session: 'ses_o', from_run: 'run_1', at_seq: 4 },
    });
    const store = await storeWith([origin, fork], ['ses_f', 'run_f']);
    const body = render(RunArea, { props: { store, onopenproviders: noop, tab: 'trace' } }).body;
    expect(body).toMatch(/data-testid="trace-fork-lineage"[^>]*>.*Forked from.*"the original".*after step #4/s);
    const plain = await storeWith([origin], ['ses_o', 'run_1']);
    expect(render(RunArea, { props: { store: plain, onopenproviders: noop, tab: 'trace' } }).body).not.toContain('trace-fork-lineage');
  });
});
