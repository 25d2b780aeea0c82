// The approvals store is the queue of actions runs wait for a person to
// decide, across runs, and the state of the approval dialog (open, which
// entry is shown). It is loaded from Runs.Approvals at start, on reconnect
// and when a run asks, and follows approval.* and run.* events.

import * as api from '../api';
import type { ApprovalAnswer, PendingApproval, TurnView } from '../api';
import { notifyWaiting } from '../approval/notify';
import type { RunEvent } from '../events';

/** ApprovalsApi is the part of the api module the store calls; tests pass a fake. */
export interface ApprovalsApi {
  approvals(): Promise<PendingApproval[]>;
  answerApproval(runId: string, answer: ApprovalAnswer): Promise<void>;
  turn(runId: string): Promise<TurnView>;
  answerTurn(runId: string, modelSeq: number, answers: ApprovalAnswer[]): Promise<void>;
}

/** Notify tells the person a run waits (an OS notification when the window is not focused). */
export type Notify = (title: string, body: string, tag: string) => void;

const defaultNotify: Notify = (title, body, tag) => void notifyWaiting(title, body, tag);

/** approvalKey identifies a pending approval: a run's approval step. */
export function approvalKey(a: { run_id: string; seq: number }): string {
  return `${a.run_id}#${a.seq}`;
}

/** ENDS are the run events after which a run no longer waits. */
const ENDS = new Set(['run.completed', 'run.failed', 'run.cancelled']);

export class ApprovalsStore {
  /** items are the pending approvals, oldest request first. */
  items = $state<PendingApproval[]>([]);
  /** index is the entry the dialog shows. */
  index = $state(0);
  /** open says whether the dialog is shown. */
  open = $state(false);
  /** busy is set while an answer is being sent. */
  busy = $state(false);
  /** error is why the last load or answer failed. */
  error = $state<string | null>(null);
  /** turn is the current entry's model turn when it has later writes and edits to review with it
   * (Runs.Turn), keyed by the entry it was loaded for; null otherwise. */
  turn = $state<{ key: string; view: TurnView } | null>(null);

  #api: ApprovalsApi;
  #notify: Notify;
  /** #decided holds the keys answered or decided, so a load that raced a decision does not bring them back. */
  #decided = new Set<string>();

  constructor(apiImpl: ApprovalsApi = api, notify: Notify = defaultNotify) {
    this.#api = apiImpl;
    this.#notify = notify;
  }

  /** current is the entry the dialog shows. */
  get current(): PendingApproval | undefined {
    return this.items[Math.min(this.index, this.items.length - 1)];
  }

  /** count is how many approvals wait. */
  get count(): number {
    return this.items.length;
  }

  #set(items: PendingApproval[]): void {
    const before = new Set(this.items.map(approvalKey));
    const cur = this.current ? approvalKey(this.current) : null;
    this.items = items;
    // Keep showing the same entry when it is still there.
    const at = cur ? items.findIndex((a) => approvalKey(a) === cur) : -1;
    if (at >= 0) this.index = at;
    else this.index = Math.max(0, Math.min(this.index, items.length - 1));
    if (items.length === 0) this.open = false;
    else if (items.some((a) => !before.has(approvalKey(a)))) this.open = true;
  }

  /** add queues a pending approval (or updates it); the dialog opens. */
  add(a: PendingApproval): void {
    const key = approvalKey(a);
    if (this.#decided.has(key)) return;
    const at = this.items.findIndex((x) => approvalKey(x) === key);
    if (at >= 0) {
      const items = [...this.items];
      items[at] = a;
      this.items = items;
      return;
    }
    this.#set([...this.items, a]);
  }

  /** remove drops a run's approval (every one of the run's when seq is omitted). */
  remove(runId: string, seq?: number): void {
    if (seq !== undefined) this.#decided.add(approvalKey({ run_id: runId, seq }));
    const items = this.items.filter((a) => a.run_id !== runId || (seq !== undefined && a.seq !== seq));
    if (items.length !== this.items.length) this.#set(items);
  }

  #notifyOf(runId: string, req: PendingApproval['request'] | undefined, tool?: string): void {
    const title = req?.preview?.title || `${req?.tool ?? tool ?? 'A tool'} call`;
    const heading = req?.budget ? 'Corral: a run reached its spend cap' : 'Corral: approval needed';
    this.#notify(heading, title, `corral-approval-${runId}`);
  }

  /** load fetches every pending approval from the backend. With notify, an approval not queued
   * before raises an OS notification (one another process asked for: no event announced it). */
  async load(opts: { notify?: boolean } = {}): Promise<void> {
    try {
      const list = await this.#api.approvals();
      const before = new Set(this.items.map(approvalKey));
      const items = list.filter((a) => !this.#decided.has(approvalKey(a)));
      this.#set(items);
      if (opts.notify) for (const a of items) if (!before.has(approvalKey(a))) this.#notifyOf(a.run_id, a.request);
      this.error = null;
    } catch (reason) {
      this.error = api.toError(reason).message || 'could not load approvals';
    }
  }

  /** applyBatch follows run events: a request queues (and reloads), a decision or a run's end removes. */
  applyBatch(events: readonly RunEvent[]): void {
    let reload = false;
    for (const ev of events) {
      if (ev.type === 'approval.requested') {
        if (ev.approval && ev.seq !== undefined) {
          this.add({ run_id: ev.run_id, seq: ev.seq, request: ev.approval });
        }
        reload = true;
        if (!ev.replayed) this.#notifyOf(ev.run_id, ev.approval, ev.tool);
      } else if (ev.type === 'approval.decided') {
        this.remove(ev.run_id, ev.seq);
      } else if (ENDS.has(ev.type) || (ev.type === 'run.suspended' && ev.status && ev.status !== 'awaiting_approval')) {
        this.remove(ev.run_id);
      }
    }
    if (reload) void this.load();
  }

  /** show opens the dialog, on a run's approval when runId is given. */
  show(runId?: string): void {
    const known = this.#pick(runId);
    this.open = this.items.length > 0;
    // A run the queue does not know yet (the event is still on its way): ask the backend.
    if (runId && !known) void this.load().then(() => this.#pick(runId) && (this.open = true));
  }

  #pick(runId?: string): boolean {
    if (!runId) return true;
    const at = this.items.findIndex((a) => a.run_id === runId);
    if (at >= 0) this.index = at;
    return at >= 0;
  }

  /** close hides the dialog; the approvals keep waiting. */
  close(): void {
    this.open = false;
  }

  next(): void {
    if (this.items.length > 0) this.index = (this.index + 1) % this.items.length;
  }

  previous(): void {
    if (this.items.length > 0) this.index = (this.index - 1 + this.items.length) % this.items.length;
  }

  /** loadTurn asks for the model turn of a pending approval, so its later writes and edits are
   * reviewed in the same dialog. A failure leaves the one-call dialog. */
  async loadTurn(a: PendingApproval): Promise<void> {
    const key = approvalKey(a);
    if (this.turn?.key === key) return;
    try {
      const view = await this.#api.turn(a.run_id);
      const first = view.calls[0];
      if (first && first.seq === a.seq && view.calls.length > 1) this.turn = { key, view };
      else if (this.turn?.key === key) this.turn = null;
    } catch {
      // The one-call dialog still works: the later calls ask in their turn.
    }
  }

  /** turnFor returns the loaded turn of a pending approval, if it has later calls. */
  turnFor(a: PendingApproval | undefined): TurnView | null {
    return a && this.turn?.key === approvalKey(a) ? this.turn.view : null;
  }

  /** answerTurn sends the decisions on a turn's calls (the waiting one first) and drops the
   * waiting one from the queue; the later ones are answered as the run reaches them. */
  async answerTurn(a: PendingApproval, turn: TurnView, answers: ApprovalAnswer[]): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    try {
      await this.#api.answerTurn(a.run_id, turn.model_seq, answers);
      this.turn = null;
      this.remove(a.run_id, a.seq);
      return true;
    } catch (reason) {
      this.error = api.toError(reason).message || 'could not send the answers';
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** answer sends a decision on a pending approval and drops it from the queue. It reports success. */
  async answer(a: PendingApproval, answer: ApprovalAnswer): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    try {
      await this.#api.answerApproval(a.run_id, answer);
      this.remove(a.run_id, a.seq);
      return true;
    } catch (reason) {
      this.error = api.toError(reason).message || 'could not send the answer';
      return false;
    } finally {
      this.busy = false;
    }
  }
}

/** approvalsStore is the app-wide instance. */
export const approvalsStore = new ApprovalsStore();
