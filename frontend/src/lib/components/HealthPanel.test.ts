import type { ComponentProps } from 'svelte';
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import HealthPanel from './HealthPanel.svelte';
import { reportFixture } from './fixtures';

const noop = () => {};

function text(html: string): string {
  return html
    .replace(/<!--.*?-->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function panel(props: Partial<ComponentProps<typeof HealthPanel>>) {
  return render(HealthPanel, {
    props: { open: true, report: null, error: null, loading: false, transport: 'http', onrefresh: noop, ...props },
  }).body;
}

describe('HealthPanel', () => {
  it('renders every fact of the report', () => {
    const report = reportFixture();
    const body = panel({ report });
    const t = text(body);

    expect(body).toContain('data-testid="health-panel"');
    expect(body).toMatch(new RegExp(`data-testid="health-data-dir"[^>]*>${report.data_dir}</code>`));
    for (const want of [
      'v0.1.0 (3f9c2ab)',
      '3f9c2ab71d',
      'go1.26.0',
      'linux/amd64',
      'Desktop window',
      'HTTP (/api/call)',
      'set by CORRAL_HOME',
      'unix:///var/run/docker.sock',
      'Reachable',
      '27.5.1',
      '1.47',
      'Anthropic',
      'Configured',
      'ANTHROPIC_API_KEY',
      'https://api.anthropic.com',
      'OpenAI',
      'Not configured',
      'https://api.openai.com/v1',
      'Refresh',
    ]) {
      expect(t, want).toContain(want);
    }
    expect(body).toContain('datetime="2026-11-23T10:30:05Z"');
    expect(body.match(/data-testid="health-provider"/g)).toHaveLength(2);
  });

  it('lists the local sandbox protections and warns loudly about missing ones', () => {
    const report = reportFixture({
      local_sandbox: {
        mechanism: 'landlock',
        landlock_abi: 3,
        protections: [
          { name: 'process tree', active: false, detail: 'no namespaces: operation not permitted' },
          { name: 'filesystem writes', active: true, detail: 'writes only in the workspace (Landlock ABI 3)' },
        ],
      },
    });
    const body = panel({ report });
    const t = text(body);
    for (const want of ['Local sandbox', 'landlock', 'Landlock ABI 3', 'Missing', 'process tree', 'no namespaces: operation not permitted', 'Active', 'filesystem writes', '1 protection missing.']) {
      expect(t, want).toContain(want);
    }
    expect(body.match(/data-testid="health-protection"/g)).toHaveLength(2);
    expect(body).toContain('data-testid="health-local-warning"');
  });

  it('shows no warning when every local protection is active', () => {
    const report = reportFixture({
      local_sandbox: {
        mechanism: 'namespaces+landlock',
        landlock_abi: 7,
        protections: [{ name: 'network off', active: true, detail: 'own network namespace' }],
      },
    });
    const body = panel({ report });
    expect(text(body)).toContain('namespaces+landlock · Landlock ABI 7');
    expect(body).not.toContain('data-testid="health-local-warning"');
  });

  it('shows the Docker error instead of the API version when unreachable', () => {
    const report = reportFixture({
      docker: {
        host: 'unix:///var/run/docker.sock',
        reachable: false,
        version: '',
        api_version: '',
        os: '',
        arch: '',
        error: 'Cannot connect to the Docker daemon',
      },
    });
    const t = text(panel({ report }));
    expect(t).toContain('Unreachable');
    expect(t).toContain('Cannot connect to the Docker daemon');
    expect(t).not.toContain('API version');
  });

  it('shows a loading state before the first report', () => {
    const body = panel({ loading: true });
    expect(text(body)).toContain('Checking the backend…');
    expect(body).not.toContain('health-data-dir');
    expect(body).toMatch(/<button[^>]*disabled[^>]*>\s*Checking…/);
  });

  it('shows a clear error when the call rejected', () => {
    const body = panel({ error: 'unauthorized' });
    expect(body).toContain('role="alert"');
    expect(text(body)).toContain('Health check failed. unauthorized');
    expect(body).not.toContain('health-data-dir');
  });

  it('keeps the last report visible under a refresh error', () => {
    const body = panel({ report: reportFixture(), error: 'timeout' });
    expect(text(body)).toContain('Health check failed. timeout');
    expect(body).toContain('data-testid="health-data-dir"');
  });
});
