// The Settings view's calls: providers and keys, agents, remembered rules, sandbox
// defaults and the Docker panel (app/settings.go). Re-exported by index.ts.

import { call } from './transport';
import type { BudgetsView, ModelFacts, AgentList, AgentView, ContainersView, MCPTestView, MCPView, ProvidersView, RuleEntry, SandboxSettings, SessionContainerView, Verdict } from './types';

/** providers asks Settings.Providers for each provider's saved key (masked), base URL and where keys are kept. */
export function providers(): Promise<ProvidersView> {
  return call<ProvidersView>('Settings.Providers');
}

/** saveKey saves a provider's API key with Settings.SaveKey; the answer shows it masked, never in full. */
export function saveKey(provider: string, key: string): Promise<ProvidersView> {
  return call<ProvidersView>('Settings.SaveKey', provider, key);
}

/** deleteKey removes a provider's saved key with Settings.DeleteKey. */
export function deleteKey(provider: string): Promise<ProvidersView> {
  return call<ProvidersView>('Settings.DeleteKey', provider);
}

/** saveBaseURL saves a provider's base URL with Settings.SaveBaseURL ("" means the default). */
export function saveBaseURL(provider: string, url: string): Promise<ProvidersView> {
  return call<ProvidersView>('Settings.SaveBaseURL', provider, url);
}

/** sandboxSettings asks Settings.Sandbox for the defaults runs take when they do not choose. */
export function sandboxSettings(): Promise<SandboxSettings> {
  return call<SandboxSettings>('Settings.Sandbox');
}

/** saveSandboxSettings validates and saves the sandbox defaults with Settings.SaveSandbox. */
export function saveSandboxSettings(s: SandboxSettings): Promise<SandboxSettings> {
  return call<SandboxSettings>('Settings.SaveSandbox', s);
}

/** agents asks Agents.List for every agent and the tools they may use. */
export function agents(): Promise<AgentList> {
  return call<AgentList>('Agents.List');
}

/** saveAgent creates (previous "") or changes an agent with Agents.Save. */
export function saveAgent(previous: string, a: AgentView): Promise<AgentList> {
  return call<AgentList>('Agents.Save', previous, a);
}

/** deleteAgent removes a user agent, or resets a changed built-in one, with Agents.Delete. */
export function deleteAgent(id: string): Promise<AgentList> {
  return call<AgentList>('Agents.Delete', id);
}

/** rules asks Rules.List for the remembered approval rules. */
export async function rules(): Promise<RuleEntry[]> {
  return (await call<RuleEntry[] | null>('Rules.List')) ?? [];
}

/** addRule remembers a rule with Rules.Add (list allow/ask/deny, scope global, agent:ID or session:ID). */
export function addRule(list: string, rule: string, scope: string): Promise<RuleEntry> {
  return call<RuleEntry>('Rules.Add', list, rule, scope);
}

/** removeRule revokes a remembered rule with Rules.Remove. */
export async function removeRule(id: string): Promise<void> {
  await call<null>('Rules.Remove', id);
}

/** testRule judges a command against the remembered rules with Rules.Test, without running it. */
export function testRule(command: string, scope: string): Promise<Verdict> {
  return call<Verdict>('Rules.Test', command, scope);
}

/** containers asks Containers.List for Corral's Docker containers (or why the engine is unavailable). */
export function containers(): Promise<ContainersView> {
  return call<ContainersView>('Containers.List');
}

/** removeContainer removes one of Corral's containers with Containers.Remove. */
export async function removeContainer(id: string): Promise<void> {
  await call<null>('Containers.Remove', id);
}

/** sessionContainer asks Containers.Session for the container a session's runs share (docker, session scope). */
export function sessionContainer(sessionId: string): Promise<SessionContainerView> {
  return call<SessionContainerView>('Containers.Session', sessionId);
}

/** pruneContainers removes idle and orphaned containers with Containers.Prune; returns how many. */
export function pruneContainers(): Promise<number> {
  return call<number>('Containers.Prune');
}

/** mcpServers asks MCP.List for the configured MCP servers (DATA_DIR/mcp.json). */
export function mcpServers(): Promise<MCPView> {
  return call<MCPView>('MCP.List');
}

/**
 * addMCPServer adds a server with MCP.Add: target is a URL (Streamable HTTP) or a command line (stdio);
 * secretHeaders holds "Name: value" lines whose values are kept in the keychain, never in mcp.json.
 */
export function addMCPServer(name: string, target: string, secretHeaders = ''): Promise<MCPView> {
  return call<MCPView>('MCP.Add', name, target, secretHeaders);
}

/** importMCPServers adds every server of a pasted {"mcpServers": ...} document with MCP.Import. */
export function importMCPServers(document: string): Promise<MCPView> {
  return call<MCPView>('MCP.Import', document);
}

/** removeMCPServer deletes a server with MCP.Remove. */
export function removeMCPServer(name: string): Promise<MCPView> {
  return call<MCPView>('MCP.Remove', name);
}

/** setMCPServerEnabled enables or disables a server for new runs with MCP.SetEnabled. */
export function setMCPServerEnabled(name: string, enabled: boolean): Promise<MCPView> {
  return call<MCPView>('MCP.SetEnabled', name, enabled);
}

/** testMCPServer connects to a server and lists its tools with MCP.Test. */
export function testMCPServer(name: string): Promise<MCPTestView> {
  return call<MCPTestView>('MCP.Test', name);
}

/** mcpServerLogs returns a server's kept stderr with MCP.Logs. */
export function mcpServerLogs(name: string): Promise<string> {
  return call<string>('MCP.Logs', name);
}

/** budgets asks Budgets.List for each known model's prices, context window and output cap, and the daily cap. */
export function budgets(): Promise<BudgetsView> {
  return call<BudgetsView>('Budgets.List');
}

/** saveModelFacts saves a model's prices, window and output cap to prices.json with Budgets.SaveModel. */
export function saveModelFacts(m: ModelFacts): Promise<BudgetsView> {
  return call<BudgetsView>('Budgets.SaveModel', m);
}

/** saveDailyCap saves the global daily cost cap (0 removes it) with Budgets.SaveDailyCap. */
export function saveDailyCap(usd: number): Promise<BudgetsView> {
  return call<BudgetsView>('Budgets.SaveDailyCap', usd);
}
