import { describe, expect, it, vi } from 'vitest';
import type { HealthReport, ReadyReport, TracePaint } from '../api';
import { createReadyNotifier, createTracePaintReporter, StartupClock } from './ready';

const report = (data_dir: string) => ({ data_dir }) as HealthReport;

describe('createReadyNotifier', () => {
  it('sends the transport and data dir of the first report only', async () => {
    const sent: ReadyReport[] = [];
    const notify = createReadyNotifier(async (r) => void sent.push(r), () => 'http');

    await notify(report('/first'));
    await notify(report('/second'));

    expect(sent).toEqual([{ transport: 'http', data_dir: '/first' }]);
  });

  it('logs a failed send instead of throwing, and does not retry', async () => {
    const log = vi.fn();
    const send = vi.fn(async () => {
      throw new Error('not bound');
    });
    const notify = createReadyNotifier(send, () => 'wails', log);

    await expect(notify(report('/d'))).resolves.toBeUndefined();
    await notify(report('/d'));

    expect(send).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toBe('FrontendReady failed:');
  });

  it('sends once even when called twice before the first send settles', async () => {
    let release!: () => void;
    const send = vi.fn(() => new Promise<void>((r) => (release = r)));
    const notify = createReadyNotifier(send, () => 'wails');

    const a = notify(report('/d'));
    const b = notify(report('/d'));
    release();
    await Promise.all([a, b]);

    expect(send).toHaveBeenCalledTimes(1);
  });
});

describe('StartupClock', () => {
  it('keeps the first mark of each stage and reads the ready time when asked', async () => {
    let now = 35.6;
    const clock = new StartupClock(() => now);
    clock.mark('script_ms');
    now = 120.4;
    clock.mark('mounted_ms');
    now = 300;
    clock.mark('mounted_ms');
    clock.mark('health_ms');
    now = 341.7;

    expect(clock.times()).toEqual({ script_ms: 36, mounted_ms: 120, health_ms: 300, ready_ms: 342 });
  });

  it('goes with the ready report when given', async () => {
    const sent: ReadyReport[] = [];
    const times = { script_ms: 1, mounted_ms: 2, health_ms: 3, ready_ms: 4 };
    const notify = createReadyNotifier(async (r) => void sent.push(r), () => 'wails', console.error, () => times);

    await notify(report('/d'));

    expect(sent).toEqual([{ transport: 'wails', data_dir: '/d', startup: times }]);
  });
});

describe('createTracePaintReporter', () => {
  it('sends the first paint of each run only', async () => {
    const sent: TracePaint[] = [];
    const report = createTracePaintReporter(async (p) => void sent.push(p));

    await report({ run_id: 'run_a', nodes: 1, ms: 5 });
    await report({ run_id: 'run_a', nodes: 3, ms: 9 });
    await report({ run_id: 'run_b', nodes: 20, ms: 7 });
    await report({ run_id: '', nodes: 2, ms: 1 });

    expect(sent).toEqual([
      { run_id: 'run_a', nodes: 1, ms: 5 },
      { run_id: 'run_b', nodes: 20, ms: 7 },
    ]);
  });

  it('logs a failed send instead of throwing', async () => {
    const log = vi.fn();
    const report = createTracePaintReporter(async () => {
      throw new Error('not bound');
    }, log);

    await expect(report({ run_id: 'run_a', nodes: 1, ms: 1 })).resolves.toBeUndefined();
    expect(log.mock.calls[0][0]).toBe('TracePainted failed:');
  });
});
