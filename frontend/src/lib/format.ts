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

/**
 * relativeTime says how long ago t (RFC 3339 or epoch ms) was, relative to now:
 * "just now", "2m ago", "3h ago", "5d ago", then the date.
 */
export function relativeTime(t: string | number, now: number = Date.now(), locale?: string): string {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (Number.isNaN(ms)) return '';
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h}h ago`;
  const d = Math.round(h / 24);
  if (d < 7) return `${d}d ago`;
  return new Date(ms).toLocaleDateString(locale, { month: 'short', day: 'numeric' });
}

/** durationText renders milliseconds compactly: "850ms", "4.2s", "3m 05s", "1h 02m". */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  if (m < 60) return `${m}m ${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** countText renders a count compactly: 950, "1.2k", "34k", "1.5M". */
export function countText(n: number): string {
  if (!Number.isFinite(n)) return '';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 10_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (a < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
}

/** costText renders US dollars: "$0", "<$0.01", "$0.42", "$12.30". */
export function costText(usd: number): string {
  if (!Number.isFinite(usd) || usd <= 0) return '$0';
  if (usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}

/** plural renders "1 step" / "3 steps". */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** excerpt collapses whitespace and cuts text to max characters with an ellipsis. */
export function excerpt(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : t.slice(0, Math.max(1, max - 1)).trimEnd() + '…';
}

/** keySourceText says where a provider's key comes from: its environment variable, or where Settings saved it. */
export function keySourceText(source: string): string {
  if (source === 'keychain') return 'saved in the OS keychain';
  if (source === 'file') return 'saved in the credentials file';
  return source || '—';
}

/** formatBytes shows a size as B, KiB, MiB or GiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
