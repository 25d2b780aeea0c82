import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../api';
import {
  alwaysAllowAnswer,
  answerBy,
  approveAnswer,
  denyAnswer,
  editAnswer,
  editField,
  MCP_ARGUMENTS,
  scopeValue,
  unifiedDiff,
} from './answer';

const execReq: ApprovalRequest = {
  tool: 'exec',
  input: { command: 'npm test', cwd: 'web', timeout_seconds: 60 },
  action_hash: 'h-exec',
  suggestions: ['exec(npm test)', 'exec(npm *)'],
};

const writeReq: ApprovalRequest = {
  tool: 'write',
  input: { path: 'a.txt', content: 'old\n' },
  action_hash: 'h-write',
};

describe('answers', () => {
  it('names the origin from the transport', () => {
    expect(answerBy('wails')).toBe('window');
    expect(answerBy('http')).toBe('browser');
  });

  it('approves as is', () => {
    expect(approveAnswer(execReq, 'window')).toEqual({ kind: 'approve', action_hash: 'h-exec', by: 'window' });
  });

  it('denies, with a trimmed message when one is given', () => {
    expect(denyAnswer(execReq, 'browser')).toEqual({ kind: 'deny', action_hash: 'h-exec', by: 'browser' });
    expect(denyAnswer(execReq, 'browser', '  use pnpm  ')).toEqual({
      kind: 'deny',
      action_hash: 'h-exec',
      message: 'use pnpm',
      by: 'browser',
    });
    expect(denyAnswer(execReq, 'browser', '   ')).not.toHaveProperty('message');
  });

  it('edits an exec command, keeping the other input fields', () => {
    expect(editField(execReq)).toEqual({ field: 'command', value: 'npm test' });
    expect(editAnswer(execReq, 'window', 'npm test -- --run')).toEqual({
      kind: 'edit',
      action_hash: 'h-exec',
      input: { command: 'npm test -- --run', cwd: 'web', timeout_seconds: 60 },
      by: 'window',
    });
    // The original request is left alone.
    expect((execReq.input as { command: string }).command).toBe('npm test');
  });

  it('edits a write content; other tools cannot be edited', () => {
    expect(editField(writeReq)).toEqual({ field: 'content', value: 'old\n' });
    expect(editAnswer(writeReq, 'browser', 'new\n').input).toEqual({ path: 'a.txt', content: 'new\n' });
    const read: ApprovalRequest = { tool: 'read', input: { path: '/etc/passwd' }, action_hash: 'h' };
    expect(editField(read)).toBeNull();
    expect(() => editAnswer(read, 'browser', 'x')).toThrow();
  });

  it('always allows a rule in a scope', () => {
    const run = { session_id: 's1', agent: 'coder' };
    expect(scopeValue('session', run)).toBe('session:s1');
    expect(scopeValue('agent', run)).toBe('agent:coder');
    expect(scopeValue('global', undefined)).toBe('global');
    expect(scopeValue('session', undefined)).toBeNull();
    expect(alwaysAllowAnswer(execReq, 'window', 'exec(npm *)', 'agent:coder')).toEqual({
      kind: 'approve',
      action_hash: 'h-exec',
      remember: { scope: 'agent:coder', list: 'allow', rules: ['exec(npm *)'] },
      by: 'window',
    });
  });
});

describe('unifiedDiff', () => {
  it('renders hunks with their headers', () => {
    const text = unifiedDiff([
      {
        old_start: 1,
        old_lines: 2,
        new_start: 1,
        new_lines: 1,
        lines: [
          { op: ' ', text: 'a', old: 1, new: 1 },
          { op: '-', text: 'b', old: 2 },
        ],
      },
      { old_start: 9, old_lines: 0, new_start: 9, new_lines: 1, lines: [{ op: '+', text: 'z', new: 9, no_newline: true }] },
    ]);
    expect(text).toBe('@@ -1,2 +1 @@\n a\n-b\n@@ -9,0 +9 @@\n+z\n\\ No newline at end of file');
    expect(unifiedDiff(null)).toBe('');
  });
});

describe('editing an MCP call', () => {
  const req = { tool: 'mcp__s__append', input: { line: 'hi' }, action_hash: 'h', preview: { tool: 'mcp__s__append', title: '', decision: 'ask', reason: '', mcp: { server: 's', tool: 'append', arguments: [] } } } as unknown as ApprovalRequest;
  it('edits all the arguments as JSON', () => {
    const f = editField(req);
    expect(f?.field).toBe(MCP_ARGUMENTS);
    expect(JSON.parse(f?.value ?? '')).toEqual({ line: 'hi' });
    expect(editAnswer(req, 'window', '{"line":"bye"}').input).toEqual({ line: 'bye' });
  });
  it('refuses arguments that are not an object', () => {
    expect(() => editAnswer(req, 'window', '[1]')).toThrow(/JSON object/);
    expect(() => editAnswer(req, 'window', '{oops')).toThrow();
  });
});
