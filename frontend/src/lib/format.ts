// Text shown for health facts. Pure functions, so the wording is tested
// once here rather than in every component.

import type { DataDirSource, DockerStatus, ProviderStatus } from './api';

/** shortCommit returns the first 7 characters of a git hash, or "" when unknown. */
export function shortCommit(commit: string): string {
  return commit.trim().slice(0, 7);
}

/** versionText renders a version with its short commit, e.g. "v0.1.0 (abc1234)" or "dev". */
export function versionText(version: string, commit: string): string {
  const v = version.trim() || 'dev';
  const label = /^\d/.test(v) ? 'v' + v : v;
  const c = shortCommit(commit);
  return c ? `${label} (${c})` : label;
}

/** dockerStatusText is the one-line Docker state: "Docker 27.5.1" or "Docker unreachable". */
export function dockerStatusText(docker: DockerStatus): string {
  if (!docker.reachable) return 'Docker unreachable';
  return docker.version ? `Docker ${docker.version}` : 'Docker (unknown version)';
}

/** configuredProviders returns the providers that have a key. */
export function configuredProviders(providers: readonly ProviderStatus[]): ProviderStatus[] {
  return providers.filter((p) => p.configured);
}

/** providerCountText counts configured providers: "No provider keys", "1 provider", "3 providers". */
export function providerCountText(providers: readonly ProviderStatus[]): string {
  const n = configuredProviders(providers).length;
  if (n === 0) return 'No provider keys';
  return n === 1 ? '1 provider' : `${n} providers`;
}

/** dataDirSourceText explains where the data directory setting came from. */
export function dataDirSourceText(source: DataDirSource): string {
  switch (source) {
    case 'flag':
      return 'set by command-line flag';
    case 'CORRAL_HOME':
      return 'set by CORRAL_HOME';
    case 'default':
      return 'default location';
    default:
      return String(source);
  }
}

/**
 * truncatePath shortens a path to at most max characters by replacing the
 * middle with "…", keeping the first segment and as much of the tail as fits,
 * so the directory name the user recognises stays visible.
 */
export function truncatePath(path: string, max = 40): string {
  if (max < 5) max = 5;
  if (path.length <= max) return path;
  const sep = path.includes('\\') && !path.includes('/') ? '\\' : '/';
  const ellipsis = '…';
  // Keep a root-ish head ("/home", "C:") when it leaves room for a useful tail.
  const firstSep = path.indexOf(sep, 1);
  const head = firstSep > 0 ? path.slice(0, firstSep) : '';
  let budget = max - ellipsis.length;
  const keepHead = head.length > 0 && head.length <= budget / 3;
  if (keepHead) budget -= head.length;
  let tail = path.slice(path.length - budget);
  // Prefer to start the tail at a separator so no segment is cut in half.
  const cut = tail.indexOf(sep);
  if (cut > 0 && cut < tail.length - 1 && tail.length - cut >= budget / 2) tail = tail.slice(cut);
  if (!keepHead) return ellipsis + tail;
  return head + ellipsis + tail;
}

/** formatTimestamp renders an RFC 3339 time in the user's locale, or the input when it does not parse. */
export function formatTimestamp(rfc3339: string, locale?: string): string {
  const t = Date.parse(rfc3339);
  if (Number.isNaN(t)) return rfc3339;
  return new Date(t).toLocaleString(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}
