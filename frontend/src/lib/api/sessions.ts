// Calls for renaming and deleting sessions and for what each step changed.
// Part of the api module: re-exported by index.ts.

import { call } from './transport';
import type {
  CheckpointUsage,
  CheckpointView,
  DeleteRequest,
  DeleteResult,
  RunFileDiff,
  ForkView,
  RestorePreview,
  RestoreRequest,
  RestoreView,
  StepChange,
  WorkspaceChoice,
} from './types';

/** renameSession sets a session's title with Runs.RenameSession; it returns the title as stored (trimmed). */
export function renameSession(sessionId: string, title: string): Promise<string> {
  return call<string>('Runs.RenameSession', sessionId, title);
}

/** sessionWorkspace asks Runs.SessionWorkspace whose a session's workspace is, for the delete dialog. */
export function sessionWorkspace(sessionId: string): Promise<WorkspaceChoice> {
  return call<WorkspaceChoice>('Runs.SessionWorkspace', sessionId);
}

/** deleteSession deletes a session with its runs (Runs.DeleteSession), keeping or removing its workspace. */
export function deleteSession(sessionId: string, req: DeleteRequest): Promise<DeleteResult> {
  return call<DeleteResult>('Runs.DeleteSession', sessionId, req);
}

/** runChanges lists a run's write, edit and exec steps with the files each changed (Workspace.RunChanges; no diffs). */
export async function runChanges(runId: string): Promise<StepChange[]> {
  return (await call<StepChange[] | null>('Workspace.RunChanges', runId)) ?? [];
}

/** stepChanges returns what one step changed, with diffs (Workspace.StepChanges). */
export function stepChanges(runId: string, seq: number): Promise<StepChange> {
  return call<StepChange>('Workspace.StepChanges', runId, seq);
}

/**
 * fileDiff returns what a run did to one file as one diff, with the steps that made it
 * (Workspace.FileDiff): to the file after the run, or with now to the file as it is.
 */
export function fileDiff(runId: string, path: string, now: boolean): Promise<RunFileDiff> {
  return call<RunFileDiff>('Workspace.FileDiff', runId, path, now);
}

/** checkpoints lists a run's workspace checkpoints (Checkpoints.List). */
export async function checkpoints(runId: string): Promise<CheckpointView[]> {
  return (await call<CheckpointView[] | null>('Checkpoints.List', runId)) ?? [];
}

/** previewRestore says what restoring a run's workspace to a step would change (Checkpoints.Preview). */
export function previewRestore(req: RestoreRequest): Promise<RestorePreview> {
  return call<RestorePreview>('Checkpoints.Preview', req);
}

/** restore puts a run's workspace back to a step, checkpointing it first (Checkpoints.Restore). */
export function restore(req: RestoreRequest): Promise<RestoreView> {
  return call<RestoreView>('Checkpoints.Restore', req);
}

/** undoRestore undoes a run's latest restore (Checkpoints.Undo). */
export function undoRestore(runId: string, git: boolean): Promise<RestoreView> {
  return call<RestoreView>('Checkpoints.Undo', runId, git);
}

/** forkSession makes a new session from a step of a run (Checkpoints.Fork). */
export function forkSession(runId: string, seq: number): Promise<ForkView> {
  return call<ForkView>('Checkpoints.Fork', runId, seq);
}

/** checkpointUsage is the checkpoint store's size and budget, for Settings (Checkpoints.Usage). */
export function checkpointUsage(): Promise<CheckpointUsage> {
  return call<CheckpointUsage>('Checkpoints.Usage');
}
