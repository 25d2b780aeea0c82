// Types mirrored from the Go view types in package app. Keep the field names
// identical to the JSON tags: both transports hand the JSON through unchanged.

/** TransportName says how the UI reaches the backend. */
export type TransportName = 'wails' | 'http';

/** Mode is how the running binary was started. */
export type Mode = 'desktop' | 'serve';

/** DataDirSource says which setting chose the data directory. */
export type DataDirSource = 'flag' | 'CORRAL_HOME' | 'default';

/** DockerStatus is the result of asking the Docker daemon for its version. */
export interface DockerStatus {
  host: string;
  reachable: boolean;
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
  /** error is the reason the daemon could not be reached, or "". */
  error: string;
}

/** ProviderStatus says whether a model provider has credentials. */
export interface ProviderStatus {
  name: string;
  label: string;
  configured: boolean;
  /** source is the env var holding the key, or "" when not configured. */
  source: string;
  baseUrl: string;
}

/** HealthReport is what System.Health returns. */
export interface HealthReport {
  version: string;
  /** commit is the short git hash, or "" when unknown. */
  commit: string;
  goVersion: string;
  os: string;
  arch: string;
  mode: Mode;
  dataDir: string;
  dataDirSource: DataDirSource;
  docker: DockerStatus;
  providers: ProviderStatus[];
  /** checkedAt is an RFC 3339 timestamp. */
  checkedAt: string;
}

/** ReadyReport is what the UI sends to System.FrontendReady once it has rendered health data. */
export interface ReadyReport {
  transport: TransportName;
  dataDir: string;
}
