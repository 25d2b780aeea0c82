import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import CompactionView from './CompactionView.svelte';

const client = {
  summary: () => new Promise<never>(() => {}),
  editSummary: () => new Promise<never>(() => {}),
  toError: (e: unknown) => e as Error,
};

function text(html: string): string {
  return html
    .replace(/<!--.*?-->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('CompactionView', () => {
  it('says why the compaction ran and shows the recorded summary and ledger', () => {
    const { body } = render(CompactionView, {
      props: {
        runId: 'run_1',
        seq: 12,
        input: { v: 1, reason: 'too_long', messages: 40, summarized: 31, tokens: 9000, window: 8000 },
        output: { v: 1, summary: 'Wrote twenty files.', ledger: 'Commands run:\n- `echo 1 >> log.txt` (exit 0)', kept: [{}, {}] },
        client,
      },
    });
    const t = text(body);
    expect(t).toContain('the provider answered that the prompt was too long');
    expect(t).toContain('31 of 40 messages summarized, 2 kept unchanged');
    expect(body).toContain('data-testid="summary-text"');
    expect(t).toContain('Wrote twenty files.');
    expect(t).toContain('echo 1');
    expect(body).not.toContain('data-testid="summary-edit"'); // editable once known to be the latest
  });
});
