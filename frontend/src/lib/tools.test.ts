import { describe, expect, it } from 'vitest';
import { diffLines, exitCode, lineCount, summarizeTool } from './tools';

const facts = (name: string, input: unknown, output?: unknown) => summarizeTool(name, input, output).facts.map((f) => `${f.text}:${f.tone}`);

describe('summarizeTool', () => {
  it.each([
    { name: 'exec ok', tool: 'exec', input: { command: 'go test ./...' }, output: { content: 'Exit code: 0', meta: { exit_code: 0, duration_ms: 1200 } }, subject: 'go test ./...', facts: ['exit 0:ok', '1.2s:muted'] },
    { name: 'exec failing, exit code from the text (live event)', tool: 'exec', input: { command: 'make\nmake install' }, output: { content: 'Exit code: 2\n--- stderr ---\nboom', is_error: false }, subject: 'make …', facts: ['exit 2:bad'] },
    { name: 'exec timed out', tool: 'exec', input: { command: 'sleep 99' }, output: { content: 'timed out', is_error: true, meta: { timed_out: true } }, subject: 'sleep 99', facts: ['timed out:bad', 'error:bad'] },
    {
      name: 'exec that changed files',
      tool: 'exec',
      input: { command: 'make' },
      output: { content: 'Exit code: 0', meta: { exit_code: 0, changes_tracked: true, changed: [{ path: 'a', op: 'created', bytes: 1 }], changed_omitted: 2 } },
      subject: 'make',
      facts: ['exit 0:ok', '3 files changed:muted'],
    },
    { name: 'exec running', tool: 'exec', input: { command: 'ls' }, output: undefined, subject: 'ls', facts: [] },
    { name: 'write new file', tool: 'write', input: { path: 'a.sh', content: 'a\nb\n' }, output: { content: 'Created', meta: { created: true } }, subject: 'a.sh', facts: ['new:add', '+2:add'] },
    { name: 'write over a file', tool: 'write', input: { path: 'a.sh', content: 'x' }, output: { content: 'Wrote', meta: { added: 3, removed: 0 } }, subject: 'a.sh', facts: ['+3:add', '−0:muted'] },
    { name: 'edit from meta', tool: 'edit', input: { path: 'b.go' }, output: { content: 'Edited', meta: { added: 1, removed: 4, diff: '@@' } }, subject: 'b.go', facts: ['+1:add', '−4:del'] },
    { name: 'edit from the text (live event)', tool: 'edit', input: { path: 'b.go' }, output: { content: 'Edited b.go: replaced 1 occurrence (+2 -1 lines).\n--- a/b.go\n+++ b/b.go' }, subject: 'b.go', facts: ['+2:add', '−1:del'] },
    { name: 'write decided after a crash', tool: 'write', input: { path: 'a.sh', content: 'x' }, output: { content: 'Wrote a.sh', meta: { resolved: 'done: a.sh already holds the intended content' } }, subject: 'a.sh', facts: ['checked after a crash:warn'] },
    { name: 'edit redone after a crash', tool: 'edit', input: { path: 'b.go' }, output: { content: 'Edited', meta: { added: 1, removed: 1, resolved: 'rerun: b.go still shows the original text' } }, subject: 'b.go', facts: ['+1:add', '−1:del', 'redone after a crash:warn'] },
    { name: 'read', tool: 'read', input: { path: 'README.md' }, output: { content: '…', meta: { lines: 40 } }, subject: 'README.md', facts: ['40 lines:muted'] },
    { name: 'glob', tool: 'glob', input: { pattern: '**/*.go' }, output: { content: '…', meta: { matches: 1 } }, subject: '**/*.go', facts: ['1 file:muted'] },
    { name: 'grep', tool: 'grep', input: { pattern: 'TODO', path: 'src' }, output: { content: '…', meta: { matches: 5, files: 2 } }, subject: 'TODO in src', facts: ['5 matches in 2 files:muted'] },
    { name: 'unknown tool', tool: 'fetch', input: { url: 'x' }, output: { content: 'no such tool', is_error: true }, subject: '{"url":"x"}', facts: ['error:bad'] },
  ])('$name', ({ tool, input, output, subject, facts: want }) => {
    const s = summarizeTool(tool, input, output);
    expect(s.subject).toBe(subject);
    expect(facts(tool, input, output)).toEqual(want);
  });

  it('takes the diff of an edit from meta, else from the result text', () => {
    expect(summarizeTool('edit', { path: 'a' }, { content: 'x', meta: { diff: '--- a\n+++ b\n' } }).diff).toBe('--- a\n+++ b\n');
    expect(summarizeTool('edit', { path: 'a' }, { content: 'Edited a (+1 -0 lines).\n--- a/a\n+++ b/a\n@@ -1 +1,2 @@\n+x' }).diff).toBe('--- a/a\n+++ b/a\n@@ -1 +1,2 @@\n+x');
  });
});

describe('egress facts', () => {
  it('counts the blocked connections of a command', () => {
    const ev = (host: string, allowed: boolean) => ({ time: '', method: 'GET', host, port: 80, allowed, bytes_in: 0, bytes_out: 0, duration_ms: 1 });
    const out = { content: 'Exit code: 0', meta: { exit_code: 0, egress: [ev('a.test', true), ev('b.test', false), ev('c.test', false)] } };
    const facts = summarizeTool('exec', { command: 'wget' }, out).facts;
    expect(facts).toContainEqual({ text: '2 connections blocked', tone: 'bad' });
    const none = summarizeTool('exec', { command: 'wget' }, { content: '', meta: { exit_code: 0, egress: [ev('a.test', true)] } }).facts;
    expect(none.some((f) => f.text.endsWith('blocked'))).toBe(false);
  });
});

describe('helpers', () => {
  it('exitCode prefers meta', () => {
    expect(exitCode({ content: 'Exit code: 3', meta: { exit_code: 0 } })).toBe(0);
    expect(exitCode({ content: 'nothing' })).toBeUndefined();
  });

  it('lineCount', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\nb')]).toEqual([0, 1, 1, 2]);
  });

  it('diffLines classifies lines', () => {
    expect(diffLines('--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z\n').map((l) => l.kind)).toEqual(['file', 'file', 'hunk', 'del', 'add', 'ctx']);
  });
});

describe('MCP tool calls', () => {
  it.each([
    { name: 'finished, from meta', tool: 'mcp__gh__create_issue', output: { content: 'ok', meta: { mcp: { server: 'gh', tool: 'create_issue', images: [{ mime_type: 'image/png', bytes: 3, data: 'AAA' }] } } }, verb: 'gh/create_issue', facts: ['MCP:muted', '1 image:muted'] },
    { name: 'running, from its name', tool: 'mcp__my_server__get', output: undefined, verb: 'my_server/get', facts: ['MCP:muted'] },
    { name: 'failed', tool: 'mcp__s__t', output: { content: 'server gone', is_error: true, meta: { mcp: { server: 's', tool: 't' } } }, verb: 's/t', facts: ['MCP:muted', 'error:bad'] },
  ])('$name', ({ tool, output, verb, facts: want }) => {
    const sum = summarizeTool(tool, { a: 1 }, output);
    expect(sum.verb).toBe(verb);
    expect(sum.facts.map((f) => `${f.text}:${f.tone}`)).toEqual(want);
  });
});
