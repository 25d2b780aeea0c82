// Package api is the only code in the UI that calls the backend. Components
// and stores import from here, never from transport.ts or window.go directly.

import { call } from './transport';
import type {
  ApprovalAnswer,
  EntryView,
  FileView,
  HealthReport,
  ImportResult,
  ModelRequest,
  SummaryView,
  PendingApproval,
  ReadyReport,
  RunView,
  SessionView,
  SpendStatus,
  StartRequest,
  Trace,
  TraceOutline,
  Span,
  TurnView,
  TraceExport,
  TracePaint,
  TraceFormat,
} from './types';

export { toError, transportName } from './transport';
export type * from './types';
export * from './sessions';

/** health asks System.Health for the report on version, data dir, Docker and providers. */
export function health(): Promise<HealthReport> {
  return call<HealthReport>('System.Health');
}

/** frontendReady tells System.FrontendReady that the UI has rendered its first health data. */
export async function frontendReady(report: ReadyReport): Promise<void> {
  await call<null>('System.FrontendReady', report);
}

/** tracePainted tells System.TracePainted that a run's trace graph is on screen (nodes, ms to paint). */
export async function tracePainted(paint: TracePaint): Promise<void> {
  await call<null>('System.TracePainted', paint);
}

/** modelRequest asks Runs.ModelRequest for the request model step seq of a run sent: system prompt,
 * tools and every message, rebuilt from the journal. */
export function modelRequest(runId: string, seq: number): Promise<ModelRequest> {
  return call<ModelRequest>('Runs.ModelRequest', runId, seq);
}

/** summary asks Runs.Summary for the latest compaction of a run's session. */
export function summary(id: string): Promise<SummaryView> {
  return call<SummaryView>('Runs.Summary', id);
}

/** editSummary replaces the latest compaction's summary (Runs.EditSummary): a journal step. */
export function editSummary(id: string, text: string): Promise<SummaryView> {
  return call<SummaryView>('Runs.EditSummary', id, text);
}

/** compact compacts a session now (Runs.Compact), as corral compact does. */
export function compact(id: string): Promise<SummaryView> {
  return call<SummaryView>('Runs.Compact', id);
}

/** sessions asks Runs.Sessions for every session with its runs, most recently active first. */
export async function sessions(): Promise<SessionView[]> {
  return (await call<SessionView[] | null>('Runs.Sessions')) ?? [];
}

/** trace asks Traces.Trace for a run's trace: the model the graph, the timeline, the inspector and
 * every export share. */
export async function trace(runId: string): Promise<Trace> {
  const t = await call<Trace>('Traces.Trace', runId);
  return { ...t, spans: t.spans ?? [] };
}

/** traceOutline asks Traces.Outline for a run's trace without its content: what the graph and
 * the timeline draw first, for a run of any length. */
export async function traceOutline(runId: string): Promise<TraceOutline> {
  const t = await call<TraceOutline>('Traces.Outline', runId);
  return { ...t, steps: t.steps ?? [], spans: t.spans ?? [] };
}

/** traceSteps asks Traces.Steps for the spans of a run's steps from..to (inclusive, at most
 * 500), with their content: the steps of an outline a view shows. */
export async function traceSteps(runId: string, from: number, to: number): Promise<Span[]> {
  return (await call<Span[] | null>('Traces.Steps', runId, from, to)) ?? [];
}

/** startRun records a new run with Runs.Start; it is driven in the background and reports through events. */
export function startRun(req: StartRequest): Promise<RunView> {
  return call<RunView>('Runs.Start', req);
}

/** resumeRun continues an interrupted or cancelled run with Runs.Resume. */
export async function resumeRun(runId: string): Promise<void> {
  await call<null>('Runs.Resume', runId);
}

/** resolveRun decides about a command a crash cut off (Runs.Resolve): run it again, skip it (the
 * model is told), or fail the run; after rerun or skip the run continues. */
export async function resolveRun(runId: string, action: 'rerun' | 'skip' | 'fail', message = ''): Promise<void> {
  await call<null>('Runs.Resolve', runId, action, message);
}

/** cancelRun stops a running run with Runs.Cancel; it is recorded cancelled and can be resumed. */
export async function cancelRun(runId: string): Promise<void> {
  await call<null>('Runs.Cancel', runId);
}

/** approvals asks Runs.Approvals for every action a run waits for a person to decide. */
export async function approvals(): Promise<PendingApproval[]> {
  return (await call<PendingApproval[] | null>('Runs.Approvals')) ?? [];
}

/** spend asks Runs.Spend for a run's spend against its caps and its context use. */
export function spend(runId: string): Promise<SpendStatus> {
  return call<SpendStatus>('Runs.Spend', runId);
}

/** answerApproval records a decision with Runs.Answer; the run continues in the background. */
export async function answerApproval(runId: string, answer: ApprovalAnswer): Promise<void> {
  await call<null>('Runs.Answer', runId, answer);
}

/** turn asks Runs.Turn for a run's waiting approval with the later writes and edits of its
 * model turn, to review them in one dialog. */
export function turn(runId: string): Promise<TurnView> {
  return call<TurnView>('Runs.Turn', runId);
}

/** answerTurn records the waiting call's answer (answers[0]) with Runs.AnswerTurn and keeps the
 * others for the turn's later calls; the run continues in the background. */
export async function answerTurn(runId: string, modelSeq: number, answers: ApprovalAnswer[]): Promise<void> {
  await call<null>('Runs.AnswerTurn', runId, modelSeq, answers);
}

/** workspaceTree asks Workspace.Tree for a session's workspace entries in tree order. */
export async function workspaceTree(sessionId: string): Promise<EntryView[]> {
  return (await call<EntryView[] | null>('Workspace.Tree', sessionId)) ?? [];
}

/** workspaceFile asks Workspace.File for one file of a session's workspace (text up to 1 MiB). */
export function workspaceFile(sessionId: string, path: string): Promise<FileView> {
  return call<FileView>('Workspace.File', sessionId, path);
}

/** watchWorkspace starts following a session's workspace with Workspace.Watch; changes arrive as corral:workspace events. */
export async function watchWorkspace(sessionId: string): Promise<void> {
  await call<null>('Workspace.Watch', sessionId);
}

/** pickFolder asks Workspace.PickFolder for a folder with the OS folder dialog (the window only; it
 * rejects in a browser); '' when the person cancels. */
export function pickFolder(): Promise<string> {
  return call<string>('Workspace.PickFolder');
}

/** folders asks Workspace.Folders to complete a typed folder path (the browser's path field). */
export async function folders(partial: string): Promise<string[]> {
  return (await call<string[] | null>('Workspace.Folders', partial)) ?? [];
}

/** revealWorkspace opens a session's workspace folder in the OS file manager with Workspace.Reveal. */
export async function revealWorkspace(sessionId: string): Promise<void> {
  await call<null>('Workspace.Reveal', sessionId);
}

/** exportTrace asks Traces.Export for a run's trace as a file; noContent leaves prompts and outputs out. */
export function exportTrace(runId: string, format: TraceFormat, noContent: boolean): Promise<TraceExport> {
  return call<TraceExport>('Traces.Export', runId, format, noContent);
}

/** importTrace records an exported Corral trace with Traces.Import as a new read-only session. */
export function importTrace(name: string, content: string): Promise<ImportResult> {
  return call<ImportResult>('Traces.Import', name, content);
}

// The Settings view's calls (providers, agents, rules, sandbox defaults, Docker).
export * from './settings';
