import { describe, expect, it } from 'vitest';
import type { HealthReport } from '../api';
import { HealthStore } from './health.svelte';

const report = (version: string) => ({ version }) as HealthReport;

/** deferred returns a fetcher whose calls wait until resolved or rejected by the test. */
function deferred() {
  const pending: { resolve: (r: HealthReport) => void; reject: (e: unknown) => void }[] = [];
  const fetcher = () => new Promise<HealthReport>((resolve, reject) => pending.push({ resolve, reject }));
  return { fetcher, pending };
}

describe('HealthStore', () => {
  it('starts empty and not loading', () => {
    const s = new HealthStore(async () => report('x'));
    expect(s.report).toBeNull();
    expect(s.error).toBeNull();
    expect(s.loading).toBe(false);
  });

  it('is loading while the fetch is in flight, then holds the report', async () => {
    const { fetcher, pending } = deferred();
    const s = new HealthStore(fetcher);

    const done = s.refresh();
    expect(s.loading).toBe(true);
    pending[0].resolve(report('0.1.0'));
    await done;

    expect(s.loading).toBe(false);
    expect(s.report?.version).toBe('0.1.0');
    expect(s.error).toBeNull();
  });

  it('records the error message and keeps the previous report', async () => {
    let fail = false;
    const s = new HealthStore(async () => {
      if (fail) throw 'backend gone';
      return report('0.1.0');
    });
    await s.refresh();
    fail = true;
    await s.refresh();

    expect(s.error).toBe('backend gone');
    expect(s.report?.version).toBe('0.1.0');
    expect(s.loading).toBe(false);
  });

  it('clears the error after a successful refresh', async () => {
    let fail = true;
    const s = new HealthStore(async () => {
      if (fail) throw new Error('boom');
      return report('0.2.0');
    });
    await s.refresh();
    expect(s.error).toBe('boom');
    fail = false;
    await s.refresh();
    expect(s.error).toBeNull();
    expect(s.report?.version).toBe('0.2.0');
  });

  it('shares one fetch between overlapping refreshes', async () => {
    const { fetcher, pending } = deferred();
    const s = new HealthStore(fetcher);

    const a = s.refresh();
    const b = s.refresh();
    expect(pending).toHaveLength(1);
    pending[0].resolve(report('1'));
    await Promise.all([a, b]);

    const c = s.refresh();
    expect(pending).toHaveLength(2);
    pending[1].resolve(report('2'));
    await c;
    expect(s.report?.version).toBe('2');
  });
});
