// FrontendReady is sent exactly once per page load, after the first health
// report has been rendered; the desktop smoke test waits for it, and it carries
// the page's start times (StartupClock), which the backend logs.

import type { HealthReport, ReadyReport, StartupTimes, TracePaint, TransportName } from '../api';

/** StartupStage is a stage of the page's start (see StartupTimes). */
export type StartupStage = 'script_ms' | 'mounted_ms' | 'health_ms';

/**
 * StartupClock records when the page reached each stage of its start, in ms
 * since the page began to load (performance.now()), for the ready report: the
 * window's start, split into loading the script, the first render and the
 * first data.
 */
export class StartupClock {
  #marks: Partial<Record<StartupStage, number>> = {};
  #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** mark records the first time the page reached stage; later marks of it are ignored. */
  mark(stage: StartupStage): void {
    this.#marks[stage] ??= Math.round(this.#now());
  }

  /** times returns the stages so far (0 for one not reached), with now as the ready time. */
  times(): StartupTimes {
    return {
      script_ms: this.#marks.script_ms ?? 0,
      mounted_ms: this.#marks.mounted_ms ?? 0,
      health_ms: this.#marks.health_ms ?? 0,
      ready_ms: Math.round(this.#now()),
    };
  }
}

/** startupClock is the page's one clock: main.ts marks the script and the mount, App the first health report. */
export const startupClock = new StartupClock();

/** ReadySender delivers the ready report; the real one is api.frontendReady. */
export type ReadySender = (report: ReadyReport) => Promise<void>;

/**
 * createReadyNotifier returns a function that sends the ready report for the
 * first health report it is given and ignores later calls. A failed send is
 * logged, not thrown: the UI works without it.
 */
export function createReadyNotifier(
  send: ReadySender,
  transport: () => TransportName,
  log: (...data: unknown[]) => void = console.error,
  startup?: () => StartupTimes,
): (report: HealthReport) => Promise<void> {
  let sent = false;
  return async (report) => {
    if (sent) return;
    sent = true;
    try {
      await send({ transport: transport(), data_dir: report.data_dir, ...(startup ? { startup: startup() } : {}) });
    } catch (reason) {
      log('FrontendReady failed:', reason);
    }
  };
}

/**
 * createTracePaintReporter returns a function that sends the first paint of
 * each run's trace graph (once per run and page load) and ignores the rest,
 * so a live run's growing graph is not logged at every step. A failed send is
 * logged, not thrown.
 */
export function createTracePaintReporter(
  send: (p: TracePaint) => Promise<void>,
  log: (...data: unknown[]) => void = console.error,
): (p: TracePaint) => Promise<void> {
  const sent = new Set<string>();
  return async (p) => {
    if (!p.run_id || sent.has(p.run_id)) return;
    sent.add(p.run_id);
    try {
      await send(p);
    } catch (reason) {
      log('TracePainted failed:', reason);
    }
  };
}
