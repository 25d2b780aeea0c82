// Test fixtures shaped like real System.Health answers. Used only by tests.

import type { HealthReport } from '../api';

/** reportFixture returns a complete HealthReport, with fields overridden by over. */
export function reportFixture(over: Partial<HealthReport> = {}): HealthReport {
  return {
    version: '0.1.0',
    commit: '3f9c2ab71d',
    go_version: 'go1.26.0',
    os: 'linux',
    arch: 'amd64',
    mode: 'desktop',
    data_dir: '/home/ana/.local/share/corral/profiles/client-work/data',
    data_dir_source: 'CORRAL_HOME',
    docker: {
      host: 'unix:///var/run/docker.sock',
      reachable: true,
      version: '27.5.1',
      api_version: '1.47',
      os: 'linux',
      arch: 'amd64',
      error: '',
    },
    providers: [
      {
        name: 'anthropic',
        label: 'Anthropic',
        configured: true,
        source: 'ANTHROPIC_API_KEY',
        base_url: 'https://api.anthropic.com',
      },
      { name: 'openai', label: 'OpenAI', configured: false, source: '', base_url: 'https://api.openai.com/v1' },
    ],
    local_sandbox: {
      mechanism: 'namespaces+landlock',
      landlock_abi: 7,
      protections: [
        { name: 'process tree', active: true, detail: 'a PID namespace per command' },
        { name: 'network off', active: true, detail: 'a network namespace' },
      ],
    },
    checked_at: '2026-11-23T10:30:05Z',
    ...over,
  };
}
