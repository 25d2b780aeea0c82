// Pure helpers for the Settings view: agent drafts and their checks, texts for where a
// key is kept, sandbox summaries, container ages. The backend validates again; these
// checks only let the form say what is wrong before a round trip.

import type { AgentView, ContainerView, CredentialStatus, ProviderState, SandboxSettings, Verdict } from './api/types';
import { formatBytes, relativeTime } from './format';

/** SETTINGS_SECTIONS are the Settings view's sections, in order. */
export const SETTINGS_SECTIONS = [
  { id: 'providers', label: 'Providers' },
  { id: 'agents', label: 'Agents' },
  { id: 'rules', label: 'Rules' },
  { id: 'sandbox', label: 'Sandbox' },
  { id: 'docker', label: 'Docker' },
  { id: 'mcp', label: 'MCP' },
  { id: 'models', label: 'Models & budget' },
] as const;

/** SettingsSection names a section. */
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number]['id'];

/** newAgent is the draft a "New agent" button starts from. */
export function newAgent(tools: readonly string[]): AgentView {
  return {
    id: '',
    provider: '',
    model: '',
    system: '',
    tools: [...tools],
    max_steps: 50,
    max_tokens: 8192,
    thinking: '',
    max_tokens_field: '',
    max_cost_usd: 0,
    max_run_tokens: 0,
    network: '',
    approval: {},
    rules: 0,
    builtin: false,
    changed: false,
  };
}

/** cloneAgent copies an agent so the form can edit it without touching the list. */
export function cloneAgent(a: AgentView): AgentView {
  return { ...a, tools: [...a.tools], approval: { ...a.approval } };
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * agentProblems lists what is wrong with a draft: the same rules the backend applies
 * (agent.Definition.Validate), so the form can say so at once. previous is the id being
 * edited ("" for a new agent); ids are every agent's id.
 */
export function agentProblems(d: AgentView, previous: string, ids: readonly string[], tools: readonly string[]): string[] {
  const out: string[] = [];
  const id = d.id.trim();
  if (id === '') out.push('The id is empty.');
  else if (!ID_PATTERN.test(id)) out.push('Use up to 64 letters, digits, ".", "_" or "-" for the id.');
  else if (id !== previous && ids.includes(id)) out.push(`An agent called "${id}" already exists.`);
  const unknown = d.tools.filter((t) => !tools.includes(t));
  if (unknown.length > 0) out.push(`Unknown tool: ${unknown.join(', ')}.`);
  if (!Number.isInteger(d.max_steps) || d.max_steps < 1 || d.max_steps > 10000) out.push('Max steps must be a whole number from 1 to 10000.');
  if (!Number.isInteger(d.max_tokens) || d.max_tokens < 0) out.push('Max tokens must be a whole number, 0 or more.');
  if (!(d.max_cost_usd >= 0)) out.push('The cost cap is an amount in US dollars, 0 for none.');
  if (!Number.isInteger(d.max_run_tokens) || d.max_run_tokens < 0) out.push('The token cap must be a whole number, 0 for none.');
  return out;
}

/** toggleTool adds or removes a tool, keeping the order of the known tools. */
export function toggleTool(selected: readonly string[], tool: string, known: readonly string[]): string[] {
  const set = new Set(selected);
  if (set.has(tool)) set.delete(tool);
  else set.add(tool);
  return known.filter((t) => set.has(t));
}

/** whereText says where a key is kept, for a person. */
export function whereText(where: string | undefined): string {
  if (where === 'keychain') return 'OS keychain';
  if (where === 'file') return 'credentials file';
  return '';
}

/** keyStateText sums up a provider's key: masked and where it is, or why it is not used. */
export function keyStateText(p: ProviderState): string {
  const k: CredentialStatus = p.key;
  if (k.error) return `Unreadable: ${k.error}`;
  const saved = k.set ? `${k.masked || 'saved'} in the ${whereText(k.where)}` : 'No saved key';
  if (p.key_from_env) return `${p.key_var} is set in the environment and wins${k.set ? ` (saved: ${k.masked || 'yes'})` : ''}`;
  return saved;
}

/** sandboxSummary describes sandbox defaults in one line, e.g. "docker · alpine · network on · 2g · 1.5 CPUs". */
export function sandboxSummary(s: SandboxSettings | null | undefined): string {
  const egress = !s?.network && (s?.egress === 'allowlist' || s?.egress === 'open') ? `egress ${s.egress}` : '';
  if (!s || !s.env || s.env === 'local') return egress ? `local · ${egress}` : 'local';
  const parts: string[] = ['docker'];
  if (s.image) parts.push(s.image);
  parts.push(egress || (s.network ? 'network on' : 'no network'));
  if (s.memory) parts.push(s.memory);
  if (s.cpus) parts.push(`${s.cpus} CPU${s.cpus === 1 ? '' : 's'}`);
  if (s.scope === 'session') parts.push('per session');
  return parts.join(' · ');
}

/** parseCPUs reads the CPUs field: "" is 0 (the sandbox's default); NaN for anything else that is not a number ≥ 0. */
export function parseCPUs(text: string): number {
  const t = text.trim();
  if (t === '') return 0;
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 ? n : Number.NaN;
}

/** containerFacts sums up a container for its row: state, age and size. */
export function containerFacts(c: ContainerView, now: number = Date.now()): { age: string; size: string } {
  return { age: relativeTime(c.created, now), size: formatBytes(c.size) };
}

/** verdictText sums up a rule test for a person: the decision and the reason. */
export function verdictText(v: Verdict): string {
  const word = { allow: 'Allowed', ask: 'Asks first', deny: 'Denied' }[v.decision] ?? v.decision;
  return `${word}: ${v.reason}`;
}

/** scopeText describes a rule scope. */
export function scopeText(scope: string): string {
  if (scope === 'global') return 'everywhere';
  if (scope.startsWith('agent:')) return `agent ${scope.slice(6)}`;
  if (scope.startsWith('session:')) return `session ${scope.slice(8)}`;
  return scope;
}
