import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { TurnView } from '../api';
import type { ApprovalsStore } from '../stores/approvals.svelte';
import ApprovalDialog from './ApprovalDialog.svelte';

// storeWith is the part of the approvals store the dialog reads, holding one request.
function storeWith(preview: object, turn: TurnView | null = null): ApprovalsStore {
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
    turnFor: () => turn,
    loadTurn: async () => {},
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

  it('lists every call of a turn with later writes and edits, each with its diff and its own buttons', () => {
    const call = (index: number, seq: number, path: string) => ({
      index,
      tool_use_id: `t${index}`,
      seq,
      request: {
        tool: 'edit',
        input: { path, old_string: 'a', new_string: 'b' },
        action_hash: `h${index}`,
        preview: {
          tool: 'edit',
          title: `Edit ${path} (+1 -1)`,
          decision: 'ask' as const,
          reason: 'r',
          file: {
            path,
            bytes_before: 2,
            bytes_after: 2,
            diff: { hunks: [{ old_start: 1, old_lines: 1, new_start: 1, new_lines: 1, lines: [{ op: '-' as const, text: 'a' }, { op: '+' as const, text: `b-${path}` }] }], added: 1, removed: 1, lines: 2 },
            shown: 2,
          },
        },
      },
    });
    const turn: TurnView = { run_id: 'run_1', model_seq: 2, calls: [call(0, 3, 'a.txt'), call(1, 0, 'a.txt'), call(2, 0, 'b.txt')] };
    const { body } = render(ApprovalDialog, { props: { store: storeWith(file({}), turn), by: 'window', runOf: () => undefined } });
    expect(body).toContain('3 changes in one turn');
    expect(body.match(/data-testid="turn-call"/g)).toHaveLength(3);
    expect(body.match(/data-testid="turn-deny"/g)).toHaveLength(3);
    expect(body).toContain('b-b.txt');
    expect(body).toContain('data-testid="turn-approve-all"');
    expect(body).not.toContain('data-testid="always-allow"'); // the one-call buttons are gone
  });
});
