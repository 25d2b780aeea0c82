// Synthetic runs for tests and benchmarks: a config step, then model calls
// that each ask for one to three tools, like a real coding session.

import type { StepView } from '../api';

const T0 = Date.parse('2026-11-23T10:00:00Z');

/** syntheticSteps returns a run of about n journal steps, all completed unless told otherwise. */
export function syntheticSteps(n: number, opts: { errorsEvery?: number; runningLast?: boolean } = {}): StepView[] {
  const out: StepView[] = [];
  let t = T0;
  const at = (ms: number) => new Date(ms).toISOString();
  const push = (v: Omit<StepView, 'seq' | 'idempotent' | 'attempt' | 'usage' | 'cost_usd' | 'started_at' | 'finished_at'>, ms: number, usage = { input_tokens: 0, output_tokens: 0 }) => {
    const seq = out.length + 1;
    out.push({ seq, idempotent: true, attempt: 1, usage, cost_usd: 0, started_at: at(t), finished_at: at(t + ms), ...v });
    t += ms + 2;
  };
  push({ name: 'run.config', kind: 'config', status: 'completed', output: { agent: 'coder', provider: 'demo', model: 'corral-demo', sandbox: 'local', tools: ['exec'], max_steps: 50, max_tokens: 8192, system: '' } }, 0);
  let call = 0;
  while (out.length < n) {
    call++;
    const tools = (call % 3) + 1;
    const content: unknown[] = [{ type: 'text', text: `Step ${call}: looking at **file${call}.go**.` }];
    for (let k = 0; k < tools; k++) content.push({ type: 'tool_use', id: `t${call}_${k}`, name: 'exec', input: { command: `go test ./pkg${k}` } });
    push(
      { name: 'model', kind: 'llm', status: 'completed', input: { model: 'corral-demo', messages: call * 2 - 1, tools: 6, max_tokens: 8192 }, output: { content, stop_reason: 'tool_use', usage: { input_tokens: 100, output_tokens: 40 }, model: 'corral-demo', id: `m${call}` } },
      300,
      { input_tokens: 100, output_tokens: 40 },
    );
    for (let k = 0; k < tools && out.length < n; k++) {
      const bad = opts.errorsEvery !== undefined && (out.length + 1) % opts.errorsEvery === 0;
      push({ name: 'exec', kind: 'tool', status: 'completed', input: { command: `go test ./pkg${k}` }, output: { content: `Exit code: ${bad ? 1 : 0}`, is_error: false, meta: { exit_code: bad ? 1 : 0, duration_ms: 40 } } }, 40);
    }
  }
  out.length = n;
  if (opts.runningLast) {
    const last = out[n - 1];
    last.status = 'started';
    delete last.finished_at;
    delete last.output;
  }
  return out;
}
