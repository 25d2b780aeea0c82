// Calls for renaming and deleting sessions and for what each step changed.
// Part of the api module: re-exported by index.ts.

import { call } from './transport';
import type { DeleteRequest, DeleteResult, StepChange, WorkspaceChoice } from './types';

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
