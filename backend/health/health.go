// Package health gathers the facts a person needs to trust Corral is set up: which build is
// running, where its data lives, whether a Docker engine answers, which model providers
// have credentials (from the environment, or saved in the keychain or the credentials file),
// and which kernel protections confine local commands.
//
// It reports; it never changes anything. It must not know about Wails, HTTP or the UI.
package health

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// Build identifies the running binary.
type Build struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// ReadBuild returns the build identity: version and commit as stamped at link time, with
// "dev" for a missing version and, for a missing commit, the VCS revision Go recorded in the
// binary (shortened, "-dirty" when the tree was modified), if any.
func ReadBuild(version, commit string) Build {
	b := Build{Version: version, Commit: commit}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit != "" {
		return b
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(b.Commit) > 12 {
		b.Commit = b.Commit[:12]
	}
	if dirty && b.Commit != "" {
		b.Commit += "-dirty"
	}
	return b
}

// Report is the health snapshot shown in the status bar and the About / Health panel.
type Report struct {
	Build
	GoVersion     string        `json:"go_version"`
	OS            string        `json:"os"`
	Arch          string        `json:"arch"`
	Mode          string        `json:"mode"`
	DataDir       string        `json:"data_dir"`
	DataDirSource config.Source `json:"data_dir_source"`
	Docker        Docker        `json:"docker"`
	Providers     []Provider    `json:"providers"`
	// LocalSandbox lists each protection of local commands, active or missing.
	LocalSandbox local.Confinement `json:"local_sandbox"`
	CheckedAt    time.Time         `json:"checked_at"`
}

// Docker says whether the Docker engine named by DOCKER_HOST (or the platform default)
// answers, and what it is.
type Docker struct {
	Host       string `json:"host"`
	Reachable  bool   `json:"reachable"`
	Version    string `json:"version"`
	APIVersion string `json:"api_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Error      string `json:"error"`
}

// Provider says whether a model provider has credentials. It never carries the key itself.
// Source is the environment variable that holds the key, or "keychain" / "file" for a key
// saved in the settings.
type Provider struct {
	Name       string `json:"name"`
	Label      string `json:"label"`
	Configured bool   `json:"configured"`
	Source     string `json:"source"`
	BaseURL    string `json:"base_url"`
}

// Checker produces Reports. Its zero value is not usable; fill every field.
type Checker struct {
	Build   Build
	Mode    string // "desktop" or "serve"
	DataDir config.DataDir
	Getenv  func(string) string
	// Stored says where a provider key the environment lacks is kept
	// ("keychain" or "file"), or "" when none is stored; nil means keys come
	// from the environment only. It must never return the key.
	Stored func(name string) string
	// BaseURL returns a provider's saved base URL (the settings), used when
	// the environment sets none; nil means none.
	BaseURL func(provider string) string
	// DockerTimeout bounds the engine probe so a dead or unreachable daemon answers quickly.
	DockerTimeout time.Duration
}

// Check gathers a fresh Report. It does not fail: an unreachable engine is a fact to report.
func (c *Checker) Check(ctx context.Context) Report {
	return Report{
		Build:         c.Build,
		GoVersion:     runtime.Version(),
		OS:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		Mode:          c.Mode,
		DataDir:       c.DataDir.Path,
		DataDirSource: c.DataDir.Source,
		Docker:        c.docker(ctx),
		Providers:     c.providers(),
		LocalSandbox:  local.Probe(),
		CheckedAt:     time.Now().UTC().Truncate(time.Second),
	}
}

func (c *Checker) providers() []Provider {
	ps := catalog.Configurable()
	out := make([]Provider, 0, len(ps))
	for _, p := range ps {
		pr := Provider{Name: p.ID, Label: p.Label, BaseURL: p.DefaultBaseURL}
		if c.Getenv(p.KeyVar) != "" {
			pr.Configured, pr.Source = true, p.KeyVar
		} else if c.Stored != nil {
			if where := c.Stored(p.KeyVar); where != "" {
				pr.Configured, pr.Source = true, where
			}
		}
		if u := c.Getenv(p.BaseURLVar); u != "" {
			pr.BaseURL = u
		} else if c.BaseURL != nil {
			if u := c.BaseURL(p.ID); u != "" {
				pr.BaseURL = u
			}
		}
		out = append(out, pr)
	}
	return out
}

func (c *Checker) docker(ctx context.Context) Docker {
	opts := []client.Opt{client.FromEnv}
	if host := c.Getenv("DOCKER_HOST"); host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return Docker{Host: c.Getenv("DOCKER_HOST"), Error: fmt.Sprintf("docker client: %v", err)}
	}
	defer cli.Close()
	d := Docker{Host: cli.DaemonHost()}

	timeout := c.DockerTimeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		d.Error = fmt.Sprintf("engine at %s did not answer: %v", d.Host, err)
		if ctx.Err() != nil {
			d.Error = fmt.Sprintf("engine at %s did not answer within %s", d.Host, timeout)
		}
		return d
	}
	d.Reachable = true
	d.Version, d.APIVersion, d.OS, d.Arch = v.Version, v.APIVersion, v.Os, v.Arch
	return d
}
