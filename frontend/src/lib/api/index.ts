// Package api is the only code in the UI that calls the backend. Components
// and stores import from here, never from transport.ts or window.go directly.

import { call } from './transport';
import type { HealthReport, ReadyReport } from './types';

export { toError, transportName } from './transport';
export type * from './types';

/** health asks System.Health for the report on version, data dir, Docker and providers. */
export function health(): Promise<HealthReport> {
  return call<HealthReport>('System.Health');
}

/** frontendReady tells System.FrontendReady that the UI has rendered its first health data. */
export async function frontendReady(report: ReadyReport): Promise<void> {
  await call<null>('System.FrontendReady', report);
}
