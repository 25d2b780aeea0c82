// The settings store holds what other parts of the UI read from the Settings view: the
// agents (the prompt box's agent picker) and the sandbox defaults (the prompt box's
// "default" label). The Settings view writes through it, so the prompt box follows at once.

import { agents as fetchAgents, sandboxSettings as fetchSandbox, toError } from '../api';
import type { AgentList, AgentView, SandboxSettings } from '../api/types';

/** SettingsFetchers are the calls the store makes; the real ones are in api. */
export interface SettingsFetchers {
  agents: () => Promise<AgentList>;
  sandbox: () => Promise<SandboxSettings>;
}

/** SettingsStore is the reactive state shared with the prompt box. */
export class SettingsStore {
  /** agents are every agent, sorted by id; empty before the first load. */
  agents = $state<AgentView[]>([]);
  /** tools are the tools an agent may be given. */
  tools = $state<string[]>([]);
  /** sandbox is the saved sandbox defaults, or null before the first load. */
  sandbox = $state<SandboxSettings | null>(null);
  /** error is the message of the last failed load, cleared by a successful one. */
  error = $state<string | null>(null);

  #fetch: SettingsFetchers;

  constructor(fetchers: SettingsFetchers = { agents: fetchAgents, sandbox: fetchSandbox }) {
    this.#fetch = fetchers;
  }

  /** agentIds lists the agents' ids for a picker; "coder" when nothing is loaded yet. */
  get agentIds(): string[] {
    return this.agents.length > 0 ? this.agents.map((a) => a.id) : ['coder'];
  }

  /** load fetches agents and sandbox defaults; a failure keeps what was there. */
  async load(): Promise<void> {
    const [a, s] = await Promise.allSettled([this.#fetch.agents(), this.#fetch.sandbox()]);
    const errors: string[] = [];
    if (a.status === 'fulfilled') this.setAgents(a.value);
    else errors.push(toError(a.reason).message);
    if (s.status === 'fulfilled') this.sandbox = s.value;
    else errors.push(toError(s.reason).message);
    this.error = errors.length > 0 ? errors.join('; ') : null;
  }

  /** setAgents takes a list the backend returned after a save or delete. */
  setAgents(list: AgentList): void {
    this.agents = list.agents ?? [];
    this.tools = list.tools ?? [];
  }
}

/** settingsStore is the app's one settings store. */
export const settingsStore = new SettingsStore();
