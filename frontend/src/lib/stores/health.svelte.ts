// The health store holds the last System.Health report and the state of the
// call that fetches it. A failed refresh keeps the previous report so the
// status bar does not go blank while the error is shown.

import { health, toError, type HealthReport } from '../api';

/** HealthFetcher fetches a health report; the real one is api.health. */
export type HealthFetcher = () => Promise<HealthReport>;

/** HealthStore is the reactive state of the health report. */
export class HealthStore {
  /** report is the last report fetched successfully, or null before the first. */
  report = $state<HealthReport | null>(null);
  /** error is the message of the last failed fetch, cleared by a successful one. */
  error = $state<string | null>(null);
  /** loading is true while a fetch is in flight. */
  loading = $state(false);

  #fetch: HealthFetcher;
  #inflight: Promise<void> | null = null;

  constructor(fetcher: HealthFetcher = health) {
    this.#fetch = fetcher;
  }

  /** refresh fetches a new report; calls made while one is in flight share it. */
  refresh(): Promise<void> {
    if (this.#inflight) return this.#inflight;
    this.loading = true;
    this.#inflight = (async () => {
      try {
        this.report = await this.#fetch();
        this.error = null;
      } catch (reason) {
        this.error = toError(reason).message || 'health check failed';
      } finally {
        this.loading = false;
        this.#inflight = null;
      }
    })();
    return this.#inflight;
  }
}

/** healthStore is the app-wide instance. */
export const healthStore = new HealthStore();
