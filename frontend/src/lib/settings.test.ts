import { describe, expect, it } from 'vitest';
import type { AgentView, ProviderState } from './api/types';
import {
  agentProblems,
  cloneAgent,
  containerFacts,
  keyStateText,
  newAgent,
  parseCPUs,
  sandboxSummary,
  scopeText,
  toggleTool,
  verdictText,
} from './settings';

const TOOLS = ['exec', 'read', 'write', 'edit', 'glob', 'grep'];

function provider(over: Partial<ProviderState> = {}): ProviderState {
  return {
    name: 'openai',
    label: 'OpenAI',
    key_var: 'OPENAI_API_KEY',
    key: { name: 'OPENAI_API_KEY', set: true, masked: 'sk-…a1b2', where: 'file' },
    key_from_env: false,
    url_var: 'OPENAI_BASE_URL',
    base_url: '',
    default_base_url: 'https://api.openai.com/v1',
    ...over,
  };
}

describe('agentProblems', () => {
  const ok: AgentView = { ...newAgent(TOOLS), id: 'reviewer' };
  const cases: { name: string; draft: AgentView; previous?: string; want: string | null }[] = [
    { name: 'valid', draft: ok, want: null },
    { name: 'empty id', draft: { ...ok, id: '  ' }, want: 'The id is empty.' },
    { name: 'id with a space', draft: { ...ok, id: 'my agent' }, want: 'letters, digits' },
    { name: 'duplicate', draft: { ...ok, id: 'coder' }, want: 'already exists' },
    { name: 'editing itself is no duplicate', draft: { ...ok, id: 'coder' }, previous: 'coder', want: null },
    { name: 'unknown tool', draft: { ...ok, tools: ['read', 'fly'] }, want: 'Unknown tool: fly.' },
    { name: 'zero steps', draft: { ...ok, max_steps: 0 }, want: 'Max steps' },
    { name: 'fractional tokens', draft: { ...ok, max_tokens: 1.5 }, want: 'Max tokens' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = agentProblems(c.draft, c.previous ?? '', ['coder', 'reviewer-old'], TOOLS);
      if (c.want === null) expect(got).toEqual([]);
      else expect(got.join(' ')).toContain(c.want);
    });
  }
});

describe('agent drafts', () => {
  it('toggles a tool and keeps the known order', () => {
    expect(toggleTool(['grep', 'read'], 'exec', TOOLS)).toEqual(['exec', 'read', 'grep']);
    expect(toggleTool(['exec', 'read'], 'exec', TOOLS)).toEqual(['read']);
  });
  it('clones deeply enough that editing the draft leaves the original alone', () => {
    const a = { ...newAgent(TOOLS), id: 'x', approval: { exec: 'allowlist' as const } };
    const b = cloneAgent(a);
    b.tools.pop();
    b.approval.exec = 'allow-always';
    expect(a.tools).toHaveLength(6);
    expect(a.approval.exec).toBe('allowlist');
  });
});

describe('keyStateText', () => {
  it('shows the masked key and where it is kept, never more', () => {
    expect(keyStateText(provider())).toBe('sk-…a1b2 in the credentials file');
    expect(keyStateText(provider({ key: { name: 'OPENAI_API_KEY', set: true, masked: 'sk-…a1b2', where: 'keychain' } }))).toBe(
      'sk-…a1b2 in the OS keychain',
    );
  });
  it('says when the environment wins, and when nothing is saved or readable', () => {
    expect(keyStateText(provider({ key_from_env: true }))).toContain('OPENAI_API_KEY is set in the environment and wins');
    expect(keyStateText(provider({ key: { name: 'OPENAI_API_KEY', set: false } }))).toBe('No saved key');
    expect(keyStateText(provider({ key: { name: 'OPENAI_API_KEY', set: false, error: 'mode 0644' } }))).toBe('Unreadable: mode 0644');
  });
});

describe('sandbox and containers', () => {
  it('summarises sandbox defaults', () => {
    expect(sandboxSummary(null)).toBe('local');
    expect(sandboxSummary({ env: 'local', image: 'ignored' })).toBe('local');
    expect(sandboxSummary({ env: 'docker', image: 'alpine:3', network: true, memory: '2g', cpus: 1.5, scope: 'session' })).toBe(
      'docker · alpine:3 · network on · 2g · 1.5 CPUs · per session',
    );
    expect(sandboxSummary({ env: 'docker' })).toBe('docker · no network');
    expect(sandboxSummary({ env: 'docker', egress: 'allowlist' })).toBe('docker · egress allowlist');
    expect(sandboxSummary({ env: 'local', egress: 'open' })).toBe('local · egress open');
    expect(sandboxSummary({ env: 'docker', egress: 'open', network: true })).toBe('docker · network on');
  });
  it('parses CPUs', () => {
    expect(parseCPUs('')).toBe(0);
    expect(parseCPUs(' 1.5 ')).toBe(1.5);
    expect(parseCPUs('-1')).toBeNaN();
    expect(parseCPUs('two')).toBeNaN();
  });
  it('gives a container its age and size', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    const c = {
      id: 'abc',
      name: 'corral-s1',
      image: 'img',
      state: 'running',
      status: 'Up',
      session: 's1',
      run: 'r1',
      scope: 'run',
      created: '2026-11-23T09:00:00Z',
      last_used: '2026-11-23T09:00:00Z',
      size: 2048,
      owner: 'this process',
    };
    expect(containerFacts(c, now)).toEqual({ age: '3h ago', size: '2.0 KiB' });
  });
});

describe('rules', () => {
  it('describes scopes and verdicts', () => {
    expect(scopeText('global')).toBe('everywhere');
    expect(scopeText('agent:coder')).toBe('agent coder');
    expect(scopeText('session:ses_1')).toBe('session ses_1');
    expect(verdictText({ command: 'ls', decision: 'deny', reason: 'a deny rule matches', segments: [] })).toBe(
      'Denied: a deny rule matches',
    );
  });
});
