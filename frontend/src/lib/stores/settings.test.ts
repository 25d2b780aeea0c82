import { describe, expect, it } from 'vitest';
import type { AgentList, SandboxSettings } from '../api/types';
import { newAgent } from '../settings';
import { SettingsStore } from './settings.svelte';

const list: AgentList = {
  agents: [
    { ...newAgent(['read']), id: 'coder', builtin: true },
    { ...newAgent(['read']), id: 'reviewer' },
  ],
  tools: ['exec', 'read'],
};

describe('SettingsStore', () => {
  it('starts with the built-in agent id so the picker is never empty', () => {
    const s = new SettingsStore({ agents: () => new Promise(() => {}), sandbox: () => new Promise(() => {}) });
    expect(s.agentIds).toEqual(['coder']);
    expect(s.sandbox).toBeNull();
  });

  it('loads agents and sandbox defaults', async () => {
    const sandbox: SandboxSettings = { env: 'docker', image: 'alpine' };
    const s = new SettingsStore({ agents: async () => list, sandbox: async () => sandbox });
    await s.load();
    expect(s.agentIds).toEqual(['coder', 'reviewer']);
    expect(s.tools).toEqual(['exec', 'read']);
    expect(s.sandbox).toEqual(sandbox);
    expect(s.error).toBeNull();
  });

  it('keeps what it had when a load fails, and says why', async () => {
    let fail = false;
    const s = new SettingsStore({
      agents: async () => {
        if (fail) throw new Error('agents.json: bad');
        return list;
      },
      sandbox: async () => ({}),
    });
    await s.load();
    fail = true;
    await s.load();
    expect(s.agentIds).toEqual(['coder', 'reviewer']);
    expect(s.error).toContain('agents.json: bad');
  });

  it('takes the list a save returns', () => {
    const s = new SettingsStore({ agents: async () => list, sandbox: async () => ({}) });
    s.setAgents({ agents: [list.agents[1]], tools: ['read'] });
    expect(s.agentIds).toEqual(['reviewer']);
  });
});
