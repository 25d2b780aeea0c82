import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { ApprovalsStore } from '../stores/approvals.svelte';
import ApprovalDialog from './ApprovalDialog.svelte';

// storeWith is the part of the approvals store the dialog reads, holding one request.
function storeWith(preview: object): ApprovalsStore {
  const current = {
    run_id: 'run_1',
    seq: 3,
    request: { tool: 'write', input: { path: '.git/config', content: 'x' }, action_hash: 'h', preview },
  };
  return {
    current,
    open: true,
    count: 1,
    index: 0,
    busy: false,
    error: '',
    next() {},
    previous() {},
    close() {},
    answer: async () => {},
  } as unknown as ApprovalsStore;
}

const file = (extra: object) => ({
  tool: 'write',
  title: 'Overwrite .git/config',
  decision: 'ask',
  reason: 'r',
  file: { path: '.git/config', bytes_before: 1, bytes_after: 2, diff: { hunks: null, added: 0, removed: 0, lines: 0 }, shown: 0, ...extra },
});

describe('ApprovalDialog', () => {
  it('flags a write to a file that makes tools run code as security-relevant', () => {
    const { body } = render(ApprovalDialog, { props: { store: storeWith(file({ code_file: 'git runs hooks' })), by: 'window', runOf: () => undefined } });
    expect(body).toMatch(/data-testid="approval-code-file"/);
    expect(body).toContain('git runs hooks');
  });

  it('does not flag an ordinary file', () => {
    const { body } = render(ApprovalDialog, { props: { store: storeWith(file({})), by: 'window', runOf: () => undefined } });
    expect(body).not.toContain('approval-code-file');
  });
});
