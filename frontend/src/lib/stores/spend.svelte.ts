// The spend store keeps the latest SpendStatus of the runs the window has looked at (the run
// header loads it as the run moves), so the sidebar can show their spend against their caps
// without asking for every run's steps.

import type { SpendStatus } from '../api';

class SpendStore {
  /** byRun holds the latest spend of each run loaded. */
  byRun = $state<Record<string, SpendStatus>>({});

  /** set keeps a run's spend. */
  set(runId: string, s: SpendStatus): void {
    this.byRun = { ...this.byRun, [runId]: s };
  }
}

/** spendStore is the one spend store of the page. */
export const spendStore = new SpendStore();
