// FrontendReady is sent exactly once per page load, after the first health
// report has been rendered; the desktop smoke test waits for it.

import type { HealthReport, ReadyReport, TransportName } from '../api';

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
      await send({ transport: transport(), dataDir: report.dataDir });
    } catch (reason) {
      log('FrontendReady failed:', reason);
    }
  };
}
