// Test fixtures shaped like real System.Health answers. Used only by tests.

import type { HealthReport } from '../api';

/** reportFixture returns a complete HealthReport, with fields overridden by over. */
export function reportFixture(over: Partial<HealthReport> = {}): HealthReport {
  return {
    version: '0.1.0',
    commit: '3f9c2ab71d',
    goVersion: 'go1.26.0',
    os: 'linux',
    arch: 'amd64',
    mode: 'desktop',
    dataDir: '/home/ana/.local/share/corral/profiles/client-work/data',
    dataDirSource: 'CORRAL_HOME',
    docker: {
      host: 'unix:///var/run/docker.sock',
      reachable: true,
      version: '27.5.1',
      apiVersion: '1.47',
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
        baseUrl: 'https://api.anthropic.com',
      },
      { name: 'openai', label: 'OpenAI', configured: false, source: '', baseUrl: 'https://api.openai.com/v1' },
    ],
    checkedAt: '2026-11-23T10:30:05Z',
    ...over,
  };
}
