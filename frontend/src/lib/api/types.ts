// Types mirrored from the Go view types in package app (and the backend types they
// carry). Keep the field names identical to the JSON tags, in snake_case like every
// view: both transports hand the JSON through unchanged. app's TestWireContract
// compares every bound method's arguments and result, and every event's payload,
// with these declarations (keys, optional keys, shapes); run `go test ./app/`.

/** TransportName says how the UI reaches the backend. */
export type TransportName = 'wails' | 'http';

/** Mode is how the running binary was started. */
export type Mode = 'desktop' | 'serve';

/** DataDirSource says which setting chose the data directory. */
export type DataDirSource = 'flag' | 'CORRAL_HOME' | 'default';

/** DockerStatus is the result of asking the Docker daemon for its version. */
export interface DockerStatus {
  host: string;
  reachable: boolean;
  version: string;
  api_version: string;
  os: string;
  arch: string;
  /** error is the reason the daemon could not be reached, or "". */
  error: string;
}

/** ProviderStatus says whether a model provider has credentials. */
export interface ProviderStatus {
  name: string;
  label: string;
  configured: boolean;
  /** source is the env var holding the key, "keychain" or "file" for a key saved in Settings, or "" when not configured. */
  source: string;
  base_url: string;
}

/** Protection is one kernel protection of local commands (local.Protection). */
export interface Protection {
  name: string;
  active: boolean;
  /** detail says how it is enforced, or why it is missing. */
  detail: string;
}

/** LocalSandbox is what confines local commands on this machine (local.Confinement). */
export interface LocalSandbox {
  /** mechanism is "namespaces+landlock", "namespaces", "landlock", "seatbelt" or "none". */
  mechanism: string;
  /** launcher is the binary that confines each command (corral-sandbox-init, or Corral itself); empty when none. */
  launcher?: string;
  /** landlock_abi is the kernel's Landlock ABI version, 0 when absent. */
  landlock_abi: number;
  protections: Protection[];
}

/** HealthReport is what System.Health returns. */
export interface HealthReport {
  version: string;
  /** commit is the short git hash, or "" when unknown. */
  commit: string;
  go_version: string;
  os: string;
  arch: string;
  mode: Mode;
  data_dir: string;
  data_dir_source: DataDirSource;
  docker: DockerStatus;
  providers: ProviderStatus[];
  /** local_sandbox lists each protection of local commands, active or missing. */
  local_sandbox: LocalSandbox;
  /** checked_at is an RFC 3339 timestamp. */
  checked_at: string;
}

/** ReadyReport is what the UI sends to System.FrontendReady once it has rendered health data. */
export interface ReadyReport {
  transport: TransportName;
  data_dir: string;
  /** startup is when the page reached each stage of its start (app.StartupTimes). */
  startup?: StartupTimes;
}

/** StartupTimes are the stages of the page's start, in ms since it began to load (app.StartupTimes). */
export interface StartupTimes {
  /** script_ms is when the UI's script had been fetched and evaluated (main.ts began). */
  script_ms: number;
  /** mounted_ms is when the script had run and the first render was in the DOM. */
  mounted_ms: number;
  /** health_ms is when the first health report arrived. */
  health_ms: number;
  /** ready_ms is when that report was painted. */
  ready_ms: number;
}

/** TracePaint is what the UI sends to System.TracePainted when a run's trace graph is on screen (app.TracePaint). */
export interface TracePaint {
  run_id: string;
  nodes: number;
  /** ms is the time from opening the graph view to its first paint. */
  ms: number;
}

// ---- Settings: providers, agents, rules, sandbox defaults, Docker (app/settings.go) ----

/** CredentialWhere is where a saved key is kept (credential.Where). */
export type CredentialWhere = 'keychain' | 'file';

/** CredentialStatus is what may be seen of a saved key: never its value (credential.Status). */
export interface CredentialStatus {
  name: string;
  set: boolean;
  /** masked shows a few characters of a long key, e.g. "sk-…a1b2". */
  masked?: string;
  where?: CredentialWhere;
  /** error says why the key could not be read. */
  error?: string;
}

/** ProviderState is one provider in the Settings view (app.ProviderState). */
export interface ProviderState {
  name: string;
  label: string;
  key_var: string;
  key: CredentialStatus;
  /** key_from_env: key_var is set in the environment, which wins over a saved key. */
  key_from_env: boolean;
  url_var: string;
  base_url: string;
  base_url_from_env?: string;
  default_base_url: string;
}

/** ProvidersView is the providers section (app.ProvidersView). */
export interface ProvidersView {
  /** store is where a key saved now goes. */
  store: CredentialWhere;
  /** store_reason says why the keychain is not used. */
  store_reason?: string;
  file_path: string;
  providers: ProviderState[];
}

/** SandboxSettings are the defaults for runs that do not choose (config.Sandbox). */
export interface SandboxSettings {
  env?: '' | 'local' | 'docker';
  image?: string;
  network?: boolean;
  /** egress is the default network policy through Corral's egress proxy; allowlist and open need network off. */
  egress?: '' | 'none' | 'allowlist' | 'open';
  /** writable lists more directories local commands may write, separated by ":" as in PATH. */
  writable?: string;
  /** memory is a size such as "512m" or "2g". */
  memory?: string;
  cpus?: number;
  scope?: '' | 'run' | 'session';
  /** idle_minutes is how long a session's container may sit without a command before it removes itself; 0 means 15. */
  idle_minutes?: number;
  /** max_runs is how many runs the window or serve drives at once (one per session); 0 means 4. */
  max_runs?: number;
}

/** ApprovalPolicy is an agent's approval policy (approval.Policy); empty fields take the sandbox's defaults. */
export interface ApprovalPolicy {
  exec?: '' | 'approval-always' | 'allowlist' | 'allow-always';
  write?: '' | 'ask' | 'allow';
  read_outside?: '' | 'ask' | 'allow';
}

/** AgentView is an agent as the Settings view edits it (app.AgentView). */
export interface AgentView {
  id: string;
  provider: string;
  model: string;
  system: string;
  tools: string[];
  max_steps: number;
  max_tokens: number;
  /** thinking is the extended thinking setting: '' or 'off', 'low' | 'medium' | 'high', or a budget of tokens ('4096'). */
  thinking: string;
  /** max_tokens_field names the output limit for OpenAI-compatible servers: '' (automatic), 'max_tokens' or 'max_completion_tokens'. */
  max_tokens_field: string;
  /** max_cost_usd and max_run_tokens cap each of the agent's runs (0: none). */
  max_cost_usd: number;
  max_run_tokens: number;
  /** network is the agent's egress policy: '' (the session's, else the settings'), 'none', 'allowlist' or 'open'. */
  network?: string;
  approval: ApprovalPolicy;
  /** mcp names the MCP servers the agent uses; empty means every enabled one. */
  mcp?: string[];
  /** rules counts the agent's own rules (kept when saving). */
  rules: number;
  builtin: boolean;
  changed: boolean;
}

/** AgentList is every agent and the tools an agent may be given (app.AgentList). */
export interface AgentList {
  agents: AgentView[];
  tools: string[];
}

/** RuleEntry is one remembered approval rule (approval.Entry). */
export interface RuleEntry {
  id: string;
  scope: string;
  list: 'allow' | 'ask' | 'deny';
  rule: string;
  created_at: string;
  /** source is how it came: "approval" (remembered with an answer), "user", "config". */
  source: string;
}

/** Verdict is how the rules judge a command (approval.Verdict). */
export interface Verdict {
  command: string;
  decision: 'allow' | 'ask' | 'deny';
  reason: string;
  segments: ExecSegment[] | null;
  hints?: ExecHint[];
  parse_error?: string;
}

/** ContainerView is one of Corral's Docker containers (app.ContainerView). */
export interface ContainerView {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  session: string;
  run: string;
  scope: string;
  created: string;
  last_used: string;
  /** size of the writable layer in bytes. */
  size: number;
  /** owner is "this process", "orphan" or "pid N". */
  owner: string;
}

/** ContainersView is the Docker panel; available false with error when the engine cannot be reached. */
export interface ContainersView {
  available: boolean;
  error?: string;
  containers: ContainerView[];
}

/** MCPServerView is one configured MCP server (app.MCPServerView); env and headers are names only. */
export interface MCPServerView {
  name: string;
  transport: 'stdio' | 'http' | 'sse';
  command?: string;
  args: string[];
  url?: string;
  env: string[];
  headers: string[];
  enabled: boolean;
}

/** MCPView is DATA_DIR/mcp.json's servers (app.MCPView). */
export interface MCPView {
  path: string;
  servers: MCPServerView[];
  error?: string;
}

/** MCPToolSpec is one tool a server offers, as a run records it (mcp.ToolSpec). */
export interface MCPToolSpec {
  name: string;
  server: string;
  /** agent names the agent whose own server (agents.json) this is. */
  agent?: string;
  tool: string;
  title?: string;
  description?: string;
  input_schema: unknown;
  read_only?: boolean;
  destructive?: boolean;
  idempotent?: boolean;
  open_world?: boolean;
  destructive_declared?: boolean;
}

/** MCPServerStatus is how discovering one server went (mcp.ServerStatus). */
export interface MCPServerStatus {
  name: string;
  transport: string;
  tools: number;
  error?: string;
}

/** MCPDiscovery is a run's mcp.tools step output: its servers and the tools offered (mcp.Discovery). */
export interface MCPDiscovery {
  servers: MCPServerStatus[];
  tools: MCPToolSpec[];
}

/** MCPTestView is what testing a server found (app.MCPTestView). */
export interface MCPTestView {
  name: string;
  ok: boolean;
  error?: string;
  duration_ms: number;
  tools: MCPToolSpec[];
  logs: string;
}

/** SessionContainerView is the container a session's runs share (app.SessionContainerView): it outlives Corral and removes itself when idle. */
export interface SessionContainerView {
  available: boolean;
  error?: string;
  running: boolean;
  id: string;
  name: string;
  image: string;
  idle_seconds: number;
  idle_timeout_seconds: number;
}

// ---- Runs: sessions, runs and their steps (app/runs.go) ----

/** RunStatus is the state of a run (journal.RunStatus). */
export type RunStatus =
  | 'pending'
  | 'running'
  | 'awaiting_approval'
  | 'interrupted'
  | 'completed'
  | 'failed'
  | 'cancelled'
  /** paused: a fault a retry or a person can clear (the provider kept failing, a key, a full disk); Resume continues it. */
  | 'paused'
  /** refused: the model declined; error holds the provider's explanation. Final. */
  | 'refused'
  /** cut_off: the final answer was cut off by the output limit. Final. */
  | 'cut_off'
  /** queued: a prompt waiting for its session's run in progress; nothing is recorded yet (app only). */
  | 'queued';

/** Usage counts the tokens of a model call, a step or a run. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
}

/** ModelUsage is a model call's usage as the provider reported it (llm.Usage). */
export interface ModelUsage extends Usage {
  /** thinking_tokens counts reasoning tokens where the provider reports them (already part of output_tokens). */
  thinking_tokens?: number;
}

/** RunView is a run with its summary (app.RunView). Times are RFC 3339. */
export interface RunView {
  id: string;
  session_id: string;
  agent: string;
  prompt: string;
  status: RunStatus;
  workspace: string;
  sandbox: string;
  error?: string;
  /** steps is how many journal steps the run has recorded. */
  steps: number;
  usage: Usage;
  cost_usd: number;
  created_at: string;
  updated_at: string;
  /** driver_pid is set while another Corral process (this pid) drives the run: it can be watched, not cancelled or resumed here. */
  driver_pid?: number;
  /** queue says why the run waits: behind its session's run (status 'queued'), or for a free slot (pending). */
  queue?: string;
  /** parent_run_id and parent_seq name the run and task step that started this run as a subagent. */
  parent_run_id?: string;
  parent_seq?: number;
}

/** SessionOrigin says where a session's runs were recorded: here, or in an imported trace (read-only). */
export type SessionOrigin = 'local' | 'imported';

/** SessionView is a session as the sidebar shows it (app.SessionView). */
export interface SessionView {
  id: string;
  title: string;
  workspace: string;
  /** origin is missing only in views built before the session list arrived; treat as local. */
  origin?: SessionOrigin;
  /** imported_from is the file name an imported session was loaded from. */
  imported_from?: string;
  /** imported_at is when it was imported (RFC 3339). */
  imported_at?: string;
  created_at: string;
  updated_at: string;
  /** runs are in the order they were started. */
  runs: RunView[];
  /** forked_from says which run and step the session was forked from. */
  forked_from?: ForkView;
}

/**
 * StepKind says what a journal step recorded: the run's configuration, a
 * model call, a tool call, or the approval gate before a tool call with side
 * effects (exec, write, edit).
 */
export type StepKind = 'config' | 'llm' | 'tool' | 'approval' | 'compact';

/** StepStatus is the state of a journal step. */
export type StepStatus = 'started' | 'completed' | 'failed';

/** SpanKind says what a trace span stands for (backend/trace.SpanKind): the run, one of its steps
 * (config, llm, tool, approval; "step" for a kind this build does not know), the sandbox
 * command a tool call ran, or a resume (a point in time: the run went on after it had stopped
 * part way; corral.resume.after_seq and corral.resume.reason say where and why). */
export type SpanKind = 'run' | 'config' | 'llm' | 'tool' | 'approval' | 'compact' | 'command' | 'step' | 'resume' | 'restore' | 'subagent';

/** Span is one timed operation of a run (backend/trace.Span). Times are RFC 3339; end is absent
 * while the span is unfinished. input and output are the step's recorded JSON. Attributes follow
 * the OpenTelemetry GenAI conventions (gen_ai.*) and Corral's own (corral.step.status, ...). */
export interface Span {
  span_id: string;
  parent_span_id?: string;
  /** requested_by is, for a tool call or its approval, the span of the model call that asked for it. */
  requested_by?: string;
  kind: SpanKind;
  name: string;
  seq: number;
  status: 'ok' | 'error' | 'unfinished';
  start?: string;
  end?: string;
  model?: string;
  usage?: ModelUsage;
  cost_usd?: number;
  input?: unknown;
  output?: unknown;
  error?: string;
  /** group is, for the spans of a subagent's run grafted into its parent's trace, that run's id
   * (its run span hangs under the parent's task step); absent for the run's own spans. */
  group?: string;
  attributes?: Record<string, unknown>;
  /** egress, on a command span, are the connections the command attempted through the egress proxy. */
  egress?: EgressEvent[];
}

/** TraceRunInfo describes a traced run; usage and cost are summed over its steps. */
export interface TraceRunInfo {
  id: string;
  session_id: string;
  agent: string;
  prompt: string;
  status: RunStatus;
  workspace: string;
  sandbox: string;
  error?: string;
  provider?: string;
  model?: string;
  created_at: string;
  updated_at: string;
  steps: number;
  usage: ModelUsage;
  cost_usd: number;
}

/** Trace is a run as backend/trace builds it for the window and for every export: the run span
 * first, then each step's span followed by the spans derived from it. */
export interface Trace {
  version: number;
  trace_id: string;
  run: TraceRunInfo;
  spans: Span[];
}

/** OutlineStep is one step of a run's outline (backend/trace.OutlineStep): what a node of the
 * graph or a row of the timeline shows before the step's content is loaded. start and end are
 * epoch milliseconds (absent: unknown, or unfinished); requested_by is the seq of the model call
 * before a tool call or approval; is_error marks a tool error the model saw or a refused call. */
export interface OutlineStep {
  seq: number;
  kind: StepKind;
  name: string;
  status: StepStatus;
  attempt: number;
  start?: number;
  end?: number;
  requested_by?: number;
  usage?: ModelUsage;
  cost_usd?: number;
  error?: string;
  is_error?: boolean;
  resolution?: string;
}

/** TraceOutline is a run's trace without its content (Traces.Outline): its steps, and the spans
 * that are not its own steps (the run span first, resumes, restores, subagents' spans). The
 * views ask for the content of the steps they show with Traces.Steps. */
export interface TraceOutline {
  version: number;
  trace_id: string;
  run: TraceRunInfo;
  steps: OutlineStep[];
  spans: Span[];
}

/** TextBlock is text the model wrote. */
export interface TextBlock {
  type: 'text';
  text: string;
}

/** ToolUseBlock is a tool call the model made. */
export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
  input_error?: string;
}

/** ThinkingBlock is the model's reasoning before its answer; signature (Anthropic) lets it be sent back. */
export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature?: string;
}

/** ModelAttempt is a failed attempt of a model call (llm.Attempt), kept in the turn that followed it. */
export interface ModelAttempt {
  started: string;
  duration_ns: number;
  error: string;
  kind?: string;
  retryable: boolean;
  discarded?: boolean;
  wait_ns?: number;
}

/** Block is one piece of a model response. Other block types may appear and are shown raw. */
export type Block = TextBlock | ToolUseBlock | { type: string; [k: string]: unknown };

/** ModelInput is what an llm step records as input: enough to identify the call. */
export interface ModelInput {
  model: string;
  /** messages and tools are counts (the full request is rebuilt from history). */
  messages: number | unknown[];
  tools: number | unknown[];
  max_tokens?: number;
  /** estimated_tokens is the request's size estimated before it was sent (record version 1). */
  estimated_tokens?: number;
  /** context_window is the model's window when the call was made; absent when unknown. */
  context_window?: number;
}

/** ModelRequest is the request a model step sent, rebuilt from the journal (llm.Request; Runs.ModelRequest). */
export interface ModelRequest {
  model?: string;
  system?: string;
  messages: RequestMessage[] | null;
  tools?: RequestTool[] | null;
  max_tokens?: number;
  max_tokens_field?: string;
  thinking?: { budget_tokens?: number; effort?: string };
}

/** RequestMessage is one message of a model request (llm.Message). */
export interface RequestMessage {
  role: string;
  content: Block[] | null;
}

/** RequestTool is a tool a model request offered (llm.ToolSpec). */
export interface RequestTool {
  name: string;
  description?: string;
  input_schema?: unknown;
}

/** ModelResponse is what an llm step records as output (llm.Response). */
export interface ModelResponse {
  content: Block[];
  stop_reason: string;
  usage: ModelUsage;
  /** model and id are what the provider answered, when it said. */
  model?: string;
  id?: string;
  /** refusal is the provider's explanation of a refusal, where it gives one. */
  refusal?: string;
  /** attempts are the failed attempts before the one that produced this turn. */
  attempts?: ModelAttempt[];
  /** max_tokens is the output limit the turn was produced under, when a cut tool call raised it. */
  max_tokens?: number;
}

/** ToolMeta holds the structured facts of a tool call for UI cards (tool.Meta). */
export interface ToolMeta {
  path?: string;
  exit_code?: number;
  timed_out?: boolean;
  duration_ms?: number;
  bytes?: number;
  lines?: number;
  created?: boolean;
  replacements?: number;
  added?: number;
  removed?: number;
  diff?: string;
  matches?: number;
  files?: number;
  truncated?: boolean;
  /** resolved says how Corral decided about a write or edit a crash had cut off (done, or run again) and why. */
  resolved?: string;
  /** changes_tracked: exec listed the workspace before and after, so changed is complete. */
  changes_tracked?: boolean;
  /** changed lists the files a command created, modified or deleted (at most 200). */
  changed?: ChangedFile[];
  /** changed_omitted counts changed files left out of changed. */
  changed_omitted?: number;
  /** untracked says why exec did not track changed files. */
  untracked?: string;
  /** mcp is an MCP server tool's server, tool, images and resources. */
  mcp?: MCPMeta;
  /** egress lists the connections a command attempted through the egress proxy (egress.Event). */
  egress?: EgressEvent[];
}

/** EgressEvent is one connection attempt through the egress proxy (egress.Event). */
export interface EgressEvent {
  time: string;
  /** method is CONNECT for an HTTPS tunnel, else the HTTP method forwarded. */
  method: string;
  host: string;
  port: number;
  url?: string;
  allowed: boolean;
  /** rule is the net(...) entry that decided, if one did. */
  rule?: string;
  reason?: string;
  status?: number;
  bytes_out: number;
  bytes_in: number;
  duration_ms: number;
  error?: string;
}

/** MCPMeta is what an MCP tool returned besides its text (tool.MCPMeta). */
export interface MCPMeta {
  server: string;
  tool: string;
  images?: MCPMedia[];
  resources?: MCPResource[];
  structured?: unknown;
}

/** MCPMedia is an image or audio content, base64 (tool.MCPMedia); data is absent past 1 MiB. */
export interface MCPMedia {
  mime_type: string;
  data?: string;
  bytes: number;
}

/** MCPResource is an embedded resource or a resource link (tool.MCPResource). */
export interface MCPResource {
  uri: string;
  name?: string;
  mime_type?: string;
  link?: boolean;
  bytes?: number;
}

/** ChangedFile is one workspace file a command changed (tool.FileChange). */
export interface ChangedFile {
  path: string;
  op: 'created' | 'modified' | 'deleted';
  /** bytes is the size after the command (0 when deleted). */
  bytes: number;
}

/** ToolOutput is what a tool step records as output (tool.Result). */
export interface ToolOutput {
  content: string;
  is_error?: boolean;
  meta?: ToolMeta;
}

/** RunConfig is what the config step (seq 1) records: how the run was set up. */
export interface RunConfig {
  agent: string;
  provider: string;
  model: string;
  system: string;
  tools: string[];
  max_steps: number;
  max_tokens: number;
  /** thinking is the run's extended thinking setting (llm.Thinking); absent when off. */
  thinking?: { budget_tokens?: number; effort?: string };
  sandbox: string;
  history?: unknown;
}

/** ApprovalRequest is what an approval step records as input: the gated tool call. */
export interface ApprovalRequest {
  tool: string;
  input: unknown;
  action_hash?: string;
  preview?: ApprovalPreview;
  suggestions?: string[];
  /** suggestion_notes say, per suggestion, whether it is exact, what else it allows and whether it
   * lets the agent run any code (approval.SuggestionNote); requests recorded before them have none. */
  suggestion_notes?: SuggestionNote[];
  /** budget is set on a budget gate (tool 'budget'): the spend cap the run reached (approval.Budget). */
  budget?: BudgetCap;
}

/** BudgetCap is a spend cap a run reached before a model call (approval.Budget): which cap, its
 * limit with every raise so far and what was spent (dollars, or tokens for run_tokens). */
export interface BudgetCap {
  cap: 'run_cost' | 'run_tokens' | 'daily_cost';
  limit: number;
  spent: number;
  model: string;
  /** cost_known is false for a model the price table does not know: only tokens cap it. */
  cost_known: boolean;
  run_cost_usd: number;
  run_tokens: number;
  next_tokens?: number;
}

/** BudgetRaise is how much a person raises the cap a run reached (approval.Raise). */
export interface BudgetRaise {
  cost_usd?: number;
  tokens?: number;
}

/** SpendStatus is a run's spend against its caps and its context use (agent.SpendStatus;
 * Runs.Spend): the run header's gauge. */
export interface SpendStatus {
  model: string;
  cost_known: boolean;
  cost_usd: number;
  tokens: number;
  max_cost_usd?: number;
  max_tokens?: number;
  /** context_tokens is the latest request's size: as the provider counted it, else as estimated. */
  context_tokens?: number;
  context_window?: number;
}

/** SuggestionNote explains one suggested rule (approval.SuggestionNote). */
export interface SuggestionNote {
  rule: string;
  exact: boolean;
  allows?: string;
  warning?: string;
}

/** ApprovalRecord is what an approval step records when decided: the assessment, a person's answer,
 * the outcome (agent.GateRecord). Every part is optional: it also reads records older releases wrote. */
export interface ApprovalRecord {
  assessment?: Partial<ApprovalAssessment>;
  answer?: Partial<ApprovalAnswer>;
  outcome?: Partial<ApprovalOutcome>;
}

/** ApprovalAssessment is the verdict of the policy and the rules before a person is asked (approval.Assessment). */
export interface ApprovalAssessment {
  decision: Decision;
  reason: string;
  /** rule is the rule that decided a file action (exec verdicts name a rule per segment). */
  rule?: RuleRef;
  /** exec is the rule engine's verdict on a command. */
  exec?: Verdict;
  /** path is where a read, write or edit lands. */
  path?: PathInfo;
}

/** PathInfo is a file action's path, resolved against the workspace (approval.PathInfo). */
export interface PathInfo {
  /** given is the path as the model wrote it. */
  given: string;
  /** path is relative to the workspace when inside it, else absolute ("" when unknown). */
  path: string;
  inside: boolean;
  /** outside says why the path is outside the workspace. */
  outside?: string;
}

/** ApprovalOutcome is what follows from a decision (approval.Outcome): the tool runs with input, or the model is told refusal. */
export interface ApprovalOutcome {
  run: boolean;
  input?: unknown;
  action_hash?: string;
  /** note is told to the model with the tool's result when a person edited the action. */
  note?: string;
  refusal?: string;
}

/** Provider names the prompt box offers; '' lets the backend choose. */
export type ProviderChoice = '' | 'anthropic' | 'openai' | 'demo';

/** SandboxChoice is where tools run. */
export type SandboxChoice = '' | 'local' | 'docker';

/** StartRequest is what the prompt box sends to Runs.Start; empty strings mean defaults. */
export interface StartRequest {
  session_id: string;
  agent: string;
  prompt: string;
  workspace: string;
  provider: string;
  model: string;
  sandbox: string;
  /** scope is, for the docker sandbox, 'run' or 'session'; '' takes the settings' default. */
  scope?: string;
}

// ---- Approvals: what a person is asked (approval/preview.go, diff/diff.go, app/runs.go) ----

/** Decision is the rule engine's verdict (approval.Decision). */
export type Decision = 'allow' | 'ask' | 'deny';

/** RuleRef identifies the rule that decided a segment (approval.RuleRef); the rule text is in `rule`. */
export interface RuleRef {
  rule: string;
  list: 'allow' | 'ask' | 'deny';
  scope: string;
  id?: string;
}

/** ExecSegment is one part of a command, judged on its own (approval.Segment). */
export interface ExecSegment {
  text: string;
  start: number;
  end: number;
  kind: string;
  depth?: number;
  decision: Decision;
  rule?: RuleRef;
  reason: string;
  /** writes lists the workspace files it writes (relative paths). */
  writes?: string[];
  /** code_file says which written file makes tools run code, and why; such a segment always asks. */
  code_file?: string;
}

/** ExecHint is a risk seen in a command (approval.Hint); segment indexes ExecPreview.segments. */
export interface ExecHint {
  kind: string;
  segment: number;
  text: string;
  reason: string;
}

/** SandboxView is where a command runs (approval.SandboxView). */
export interface SandboxView {
  kind: string;
  workspace: string;
  image?: string;
  network?: string;
  isolated: boolean;
}

/** ExecPreview shows a command (approval.ExecPreview). env holds variable names only. */
export interface ExecPreview {
  command: string;
  cwd: string;
  timeout_seconds?: number;
  env?: string[];
  sandbox: SandboxView;
  segments: ExecSegment[] | null;
  hints?: ExecHint[];
  parse_error?: string;
}

/** DiffLineOp is a diff line's unified-diff prefix. */
export type DiffLineOp = ' ' | '+' | '-';

/** DiffHunk is a run of changes with their context (diff.Hunk). */
export interface DiffHunk {
  old_start: number;
  old_lines: number;
  new_start: number;
  new_lines: number;
  lines: { op: DiffLineOp; text: string; old?: number; new?: number; no_newline?: boolean }[] | null;
}

/** FileDiff is the line diff of two texts (diff.Diff). */
export interface FileDiff {
  hunks: DiffHunk[] | null;
  added: number;
  removed: number;
  lines: number;
}

/** FilePreview shows a write or an edit (approval.FilePreview). */
export interface FilePreview {
  path: string;
  new_file?: boolean;
  /** binary says why the content is not diffed as text. */
  binary?: string;
  too_large?: boolean;
  bytes_before: number;
  bytes_after: number;
  replacements?: number;
  problem?: string;
  /** code_file says why the file makes tools run code (.git/config, package.json...): a security-relevant change. */
  code_file?: string;
  diff: FileDiff;
  /** shown is how many diff lines diff.hunks holds (fewer than diff.lines for a first page). */
  shown: number;
}

/** ReadPreview shows a read outside the workspace (approval.ReadPreview). */
export interface ReadPreview {
  path: string;
  resolved: string;
  inside: boolean;
  reason?: string;
}

/** ApprovalPreview is what a person sees before deciding (approval.Preview). */
export interface ApprovalPreview {
  tool: string;
  title: string;
  decision: Decision;
  reason: string;
  exec?: ExecPreview;
  file?: FilePreview;
  read?: ReadPreview;
  mcp?: MCPPreview;
  input?: unknown;
}

/** MCPPreview shows a call to an MCP server's tool (approval.MCPPreview). */
export interface MCPPreview {
  server: string;
  tool: string;
  title?: string;
  description?: string;
  read_only?: boolean;
  /** destructive: the tool declares destructiveHint, so it is always asked. */
  destructive?: boolean;
  /** arguments are the input's fields, sorted by name, each value as JSON. */
  arguments: MCPArgument[];
}

/** MCPArgument is one field of an MCP call's input (approval.MCPArgument). */
export interface MCPArgument {
  name: string;
  value: unknown;
  description?: string;
}

/** PendingApproval is an action a run waits for a person to decide (app.PendingApproval). */
export interface PendingApproval {
  run_id: string;
  seq: number;
  request: ApprovalRequest;
}

/** TurnCallView is one call of a model turn reviewed in one dialog (app.TurnCallView): the
 * waiting one has its seq, a later one seq 0. */
export interface TurnCallView {
  index: number;
  tool_use_id: string;
  seq: number;
  request: ApprovalRequest;
}

/** TurnView is a run's waiting approval with the later writes and edits of its model turn
 * (app.TurnView), the waiting call first. */
export interface TurnView {
  run_id: string;
  model_seq: number;
  calls: TurnCallView[];
}

/** AnswerKind is what a person decided (approval.AnswerKind). */
export type AnswerKind = 'approve' | 'deny' | 'edit';

/** RememberRules are rules to remember with an answer (approval.Remember). */
export interface RememberRules {
  /** scope is 'global', 'agent:<id>' or 'session:<id>'. */
  scope: string;
  list: 'allow';
  rules: string[];
}

/** ApprovalAnswer is a person's decision on a pending action (approval.Answer). */
export interface ApprovalAnswer {
  kind: AnswerKind;
  action_hash: string;
  message?: string;
  /** input is the edited tool input (a JSON object), for 'edit' only. */
  input?: Record<string, unknown>;
  remember?: RememberRules;
  by: 'window' | 'browser';
  /** raise is, for a budget gate, how much an approval raises the cap. */
  raise?: BudgetRaise;
}

/** EntryView is one file or directory of a session's workspace (app.EntryView). */
export interface EntryView {
  /** path is relative to the workspace root, with slashes. */
  path: string;
  size: number;
  /** mod_time is RFC 3339. */
  mod_time: string;
  dir?: boolean;
  symlink?: boolean;
  /** ignored directories (.git, node_modules, .gitignore'd) are listed without their contents. */
  ignored?: boolean;
  unreadable?: boolean;
}

/** FileView is the content of one workspace file (app.FileView); text is at most 1 MiB. */
export interface FileView {
  path: string;
  size: number;
  text?: string;
  binary?: boolean;
  truncated?: boolean;
}

/** WorkspaceOp is what happened to a path. */
export type WorkspaceOp = 'created' | 'modified' | 'removed';

/** WorkspaceChange is one changed path (app.ChangeView). */
export interface WorkspaceChange {
  path: string;
  op: WorkspaceOp;
  entry: EntryView;
}

/** WorkspaceEvent is the payload of corral:workspace (app.WorkspaceEvent). */
export interface WorkspaceEvent {
  session_id: string;
  changes: WorkspaceChange[] | null;
  /** rescan means changes were lost: reload the whole tree. */
  rescan?: boolean;
  mode: 'notify' | 'polling';
  /** warning says why the watcher polls, and how to fix it. */
  warning?: string;
  /** error says the workspace went away. */
  error?: string;
}

/** TraceFormat is a format Traces.Export writes. */
export type TraceFormat = 'json' | 'otlp' | 'html';

/** TraceExport is one exported file: its suggested name, MIME type and text. */
export interface TraceExport {
  name: string;
  type: string;
  content: string;
}

/** ImportResult says what Traces.Import recorded. */
export interface ImportResult {
  session_id: string;
  run_ids: string[];
  format: string;
}

// ---- Sessions: rename and delete (app/sessions.go) ----

/** SessionEventType says what happened to a session (app.SessionEvent). */
export type SessionEventType = 'session.renamed' | 'session.deleted';

/** SessionEvent is the payload of corral:sessions. */
export interface SessionEvent {
  type: SessionEventType;
  session_id: string;
  /** title is the new title on session.renamed. */
  title?: string;
  /** run_ids are the runs deleted with the session on session.deleted. */
  run_ids?: string[];
}

/** WorkspaceChoice is what the delete dialog shows about a session's workspace (app.WorkspaceChoice). */
export interface WorkspaceChoice {
  path: string;
  /** owned: Corral created the directory for the session; otherwise the person chose it. */
  owned: boolean;
  exists: boolean;
  /** removable is why the workspace cannot be removed, when it cannot. */
  removable?: string;
  imported?: boolean;
  /** live_runs must be cancelled before the session can be deleted. */
  live_runs?: string[];
}

/** DeleteRequest is what the delete dialog sends (app.DeleteRequest). */
export interface DeleteRequest {
  remove_workspace: boolean;
  /** confirm_workspace repeats the path to remove a directory Corral did not create. */
  confirm_workspace?: string;
}

/** DeleteResult says what a delete did (app.DeleteResult). */
export interface DeleteResult {
  session_id: string;
  run_ids: string[];
  workspace: string;
  workspace_removed: boolean;
  warnings?: string[];
}

// ---- Per-step changes (app/stepchanges.go, backend/changes) ----

/**
 * ChangeSource says how a step's change is known: the diff the tool recorded,
 * a new file's recorded content, rebuilt from earlier steps, only the replaced
 * text, listed (a command's changed files, found by listing the workspace
 * before and after it; no contents), unknown (untracked commands; cut-off
 * calls), or none (the call failed, or the command changed no file).
 */
export type ChangeSource = 'recorded' | 'input' | 'reconstructed' | 'partial' | 'listed' | 'unknown' | 'none';

/** FileChange is one file a step changed (changes.File). */
export interface FileChange {
  path: string;
  /** op: only commands delete. */
  op: 'created' | 'modified' | 'deleted';
  source: ChangeSource;
  /** diff is unified text; RunChanges leaves it out; listed files have none. */
  diff?: string;
  added: number;
  removed: number;
  /** bytes is the file's size after the step (0 when deleted; absent from older servers). */
  bytes?: number;
  note?: string;
}

/**
 * RunFileDiff is what a run did to one file as one diff (Workspace.FileDiff): the
 * file before the run (its first checkpoint) against the file after the last
 * step that changed it, or against the file in the workspace now.
 */
export interface RunFileDiff {
  path: string;
  op: 'created' | 'modified' | 'deleted' | 'unchanged';
  diff?: string;
  added: number;
  removed: number;
  /** steps are the run's steps that changed the file, in order. */
  steps: number[];
  /** binary: either side is binary or over 256 KiB, so there is no diff. */
  binary?: boolean;
  /** note says why there is no diff, when there is none. */
  note?: string;
}

/** StepChange is what one write, edit or exec step changed (changes.Step). */
export interface StepChange {
  seq: number;
  tool: string;
  /** path is the file (write, edit) or the command (exec). */
  path?: string;
  source: ChangeSource;
  note?: string;
  files: FileChange[];
  /** more counts files a command changed beyond files. */
  more?: number;
}

/** CheckpointExcluded is a path a checkpoint left out, and why (checkpoint.Excluded). */
export interface CheckpointExcluded {
  path: string;
  reason: string;
  size?: number;
}

/** CheckpointView is one workspace checkpoint of a run (app.CheckpointView). */
export interface CheckpointView {
  id: string;
  seq: number;
  /** phase: before or after the step, or taken just before a restore (its undo). */
  phase: 'before' | 'after' | 'restore';
  files: number;
  bytes: number;
  /** added_bytes is what the checkpoint added to the store. */
  added_bytes: number;
  /** excluded is shown next to the checkpoint: what it does not hold. */
  excluded: CheckpointExcluded[];
  created_at: string;
}

/** RestoreRequest names the point to restore a run's workspace to (app.RestoreRequest). */
export interface RestoreRequest {
  run_id: string;
  seq: number;
  /** after: the workspace as the step left it; otherwise as it was just before. */
  after: boolean;
  /** git restores .git too. */
  git: boolean;
}

/** RestoreChange is one path a restore writes or removes (checkpoint.Change). */
export interface RestoreChange {
  path: string;
  op: 'create' | 'modify' | 'mode' | 'type' | 'delete';
  type: 'f' | 'd' | 'l';
  old_size: number;
  new_size: number;
  old_mode?: string;
  new_mode?: string;
  binary?: boolean;
  /** diff is the unified diff from now to the checkpoint, for a text file. */
  diff?: string;
}

/** RestorePreview is what a restore would change (app.RestorePreview). */
export interface RestorePreview {
  checkpoint_id: string;
  workspace: string;
  changes: RestoreChange[];
  excluded: CheckpointExcluded[];
  warnings: string[];
}

/** RestoreView is a finished restore; undo_id is the checkpoint that undoes it (app.RestoreView). */
export interface RestoreView extends RestorePreview {
  undo_id: string;
}

/** ForkView is a session forked from a step of a run (app.ForkView). */
export interface ForkView {
  session_id: string;
  workspace: string;
  from_session: string;
  from_run: string;
  at_seq: number;
  warning?: string;
}

/** CheckpointUsage is the checkpoint store's size and budget (checkpoint.Usage). */
export interface CheckpointUsage {
  checkpoints: number;
  manifests: number;
  blobs: number;
  bytes: number;
  /** budget is 0 when there is none. */
  budget: number;
}

/** ModelFacts is one known model's row in Settings → Models & budget (app.ModelFacts): prices in
 * US dollars per million tokens, and the context window and output cap (0 keeps the catalog's). */
export interface ModelFacts {
  provider: string;
  model: string;
  /** priced is false for a model the price table does not know: capped by tokens only. */
  priced: boolean;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  context_window: number;
  max_output_tokens: number;
  catalog_window: number;
  catalog_output: number;
}

/** BudgetsView is Settings → Models & budget (app.BudgetsView). */
export interface BudgetsView {
  models: ModelFacts[];
  /** daily_cost_usd caps what every run's model calls of a day cost together; 0 is none. */
  daily_cost_usd: number;
}

/** SummaryView is a session's latest compaction (Runs.Summary, EditSummary, Compact): the
 * summary follow-up requests carry (a person's edit, else the model's) and the ledger Corral
 * built from the journal. */
export interface SummaryView {
  found: boolean;
  run_id: string;
  seq: number;
  summary: string;
  ledger: string;
  edited: boolean;
  at: string;
}
