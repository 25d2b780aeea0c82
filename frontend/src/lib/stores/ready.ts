// FrontendReady is sent exactly once per page load, after the first health
// report has been rendered; the desktop smoke test waits for it.

import type { HealthReport, ReadyReport, TracePaint, TransportName } from '../api';

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
): (report: HealthReport) => Promise<void> {
  let sent = false;
  return async (report) => {
    if (sent) return;
    sent = true;
    try {
      await send({ transport: transport(), data_dir: report.data_dir });
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
