// Trace export and import helpers: the pure parts (size check, the download
// blob, the read-only rule for imported runs) plus the small DOM glue that
// saves a download and reads a dropped file.

import type { ImportResult, SessionView, TraceExport, TraceFormat } from './api';

/** MAX_IMPORT_BYTES is the largest trace file the UI reads (256 MiB). */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

/** EXPORT_FORMATS lists the export formats in menu order. */
export const EXPORT_FORMATS: readonly { id: TraceFormat; label: string }[] = [
  { id: 'json', label: 'Corral trace (.json)' },
  { id: 'otlp', label: 'OpenTelemetry (OTLP JSON)' },
  { id: 'html', label: 'Standalone HTML report' },
];

/**
 * isImportedSession says whether a session was loaded from an exported trace
 * (its recorded origin); its runs are read-only (no resume or cancel).
 */
export function isImportedSession(session: Pick<SessionView, 'origin'> | null | undefined): boolean {
  return session?.origin === 'imported';
}

/** importSizeError returns why a file of that size cannot be imported, or null when it can. */
export function importSizeError(name: string, size: number): string | null {
  if (size > MAX_IMPORT_BYTES) {
    const mib = (size / (1024 * 1024)).toFixed(1);
    return `${name || 'The file'} is ${mib} MiB; traces larger than 256 MiB cannot be imported.`;
  }
  if (size === 0) return `${name || 'The file'} is empty.`;
  return null;
}

/** buildDownload turns an exported trace into the blob and file name to save. */
export function buildDownload(exp: TraceExport): { blob: Blob; filename: string } {
  const type = exp.type || 'application/octet-stream';
  const filename = (exp.name || 'trace').replace(/[\\/]/g, '_');
  return { blob: new Blob([exp.content], { type }), filename };
}

/** saveDownload saves an exported trace through an <a download> click (works in browsers and WebKitGTK). */
export function saveDownload(exp: TraceExport, doc: Document = document): void {
  const { blob, filename } = buildDownload(exp);
  const url = URL.createObjectURL(blob);
  const a = doc.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  doc.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** importSummary describes a successful import for the toast. */
export function importSummary(name: string, res: ImportResult): string {
  const n = res.run_ids?.length ?? 0;
  return `Imported ${name}: ${n} run${n === 1 ? '' : 's'} (${res.format}).`;
}

/** hasFiles says whether a drag carries files (not text or links dragged inside the page). */
export function hasFiles(dt: DataTransfer | null | undefined): boolean {
  return !!dt && Array.from(dt.types ?? []).includes('Files');
}

/** readTraceFile checks the size, then reads the file as text; it rejects with a clear message. */
export async function readTraceFile(file: Pick<File, 'name' | 'size' | 'text'>): Promise<string> {
  const err = importSizeError(file.name, file.size);
  if (err) throw new Error(err);
  return file.text();
}
