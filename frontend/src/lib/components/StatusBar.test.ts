import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import StatusBar from './StatusBar.svelte';
import { reportFixture } from './fixtures';

const noop = () => {};

function text(html: string): string {
  return html
    .replace(/<!--.*?-->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('StatusBar', () => {
  it('shows version, Docker, provider count and the truncated data dir with the full path as title', () => {
    const report = reportFixture();
    const { body } = render(StatusBar, { props: { report, error: null, loading: false, onopen: noop } });

    const t = text(body);
    expect(body).toContain('data-testid="status-bar"');
    expect(t).toContain('Corral v0.1.0 (3f9c2ab)');
    expect(t).toContain('Docker 27.5.1');
    expect(t).toContain('1 provider');
    expect(body).toContain(`title="${report.data_dir}"`);
    expect(t).not.toContain(report.data_dir); // shown truncated
    expect(t).toContain('/profiles/client-work/data');
  });

  it('has a Settings button only when it can open Settings', () => {
    const report = reportFixture();
    const withSettings = render(StatusBar, { props: { report, error: null, loading: false, onopen: noop, onsettings: noop } }).body;
    expect(withSettings).toContain('data-testid="status-settings"');
    const without = render(StatusBar, { props: { report, error: null, loading: false, onopen: noop } }).body;
    expect(without).not.toContain('data-testid="status-settings"');
  });

  it('shows an unreachable daemon and missing keys', () => {
    const report = reportFixture({
      docker: { ...reportFixture().docker, reachable: false, version: '', error: 'connection refused' },
      providers: [],
    });
    const t = text(render(StatusBar, { props: { report, error: null, loading: false, onopen: noop } }).body);
    expect(t).toContain('Docker unreachable');
    expect(t).toContain('No provider keys');
  });

  it('shows loading before the first report', () => {
    const t = text(render(StatusBar, { props: { report: null, error: null, loading: true, onopen: noop } }).body);
    expect(t).toBe('Checking backend…');
  });

  it('shows the error when the first fetch failed', () => {
    const t = text(render(StatusBar, { props: { report: null, error: 'unauthorized', loading: false, onopen: noop } }).body);
    expect(t).toBe('Backend unavailable: unauthorized');
  });

  it('keeps the last report and flags a failed refresh', () => {
    const t = text(
      render(StatusBar, { props: { report: reportFixture(), error: 'timeout', loading: false, onopen: noop } }).body,
    );
    expect(t).toContain('Docker 27.5.1');
    expect(t).toContain('Refresh failed');
  });
});
