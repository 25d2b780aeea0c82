package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/credential"
	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// newMCPHost is the MCP host of a data directory: its mcp.json, ${VAR}
// read from the environment and saved credentials, logs in DATA_DIR/mcp-logs.
func newMCPHost(dataDir string, getenv func(string) string, version string) *mcp.Host {
	h := mcp.NewHost(mcp.NewConfig(dataDir), getenv)
	h.LogDir, h.Version = filepath.Join(dataDir, "mcp-logs"), version
	h.AgentServers = func(id string) ([]mcp.Server, error) {
		defs, err := agent.LoadDefinitions(dataDir)
		if err != nil {
			return nil, err
		}
		return defs[id].OwnMCPServers()
	}
	return h
}

// kvFlag collects repeated KEY=VALUE flags.
type kvFlag map[string]string

func (f kvFlag) String() string { return "" }
func (f kvFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	f[k] = v
	return nil
}

var mcpCommand = command{
	name:    "mcp",
	args:    "ls | add NAME [--url URL | -- COMMAND ARGS...] | import FILE|- | rm NAME | enable NAME | disable NAME | test NAME | logs NAME",
	summary: "MCP servers whose tools agents use (DATA_DIR/mcp.json, the mcpServers shape other agents write)",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		url := fs.String("url", "", "add: the server's Streamable HTTP URL (instead of a command)")
		sse := fs.Bool("sse", false, "add: the URL speaks the older HTTP+SSE transport")
		env, headers, secretEnv, secretHeaders := kvFlag{}, kvFlag{}, kvFlag{}, kvFlag{}
		fs.Var(env, "env", "add: KEY=VALUE for a stdio server's environment (repeatable; ${VAR} is read from Corral's environment and saved keys when it starts)")
		fs.Var(headers, "header", "add: NAME=VALUE HTTP header (repeatable; ${VAR} as for --env)")
		fs.Var(secretEnv, "secret-env", "add: KEY=VALUE kept in the keychain (else the credentials file) as MCP_NAME_KEY; mcp.json holds ${MCP_NAME_KEY}")
		fs.Var(secretHeaders, "secret-header", "add: NAME=VALUE header kept like --secret-env (e.g. Authorization='Bearer …')")
		timeout := fs.Duration("timeout", 0, "add: bound of each call (default 60s)")
		asJSON := fs.Bool("json", false, "ls, test: print JSON")
		return func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%w: want ls, add, import, rm, enable, disable, test or logs", errUsage)
			}
			dir, err := resolveDataDir(p, *dataDir)
			if err != nil {
				return err
			}
			creds, err := credential.Open(dir.Path, credential.Options{Mode: p.Getenv(credential.EnvMode), Getenv: p.Getenv})
			if err != nil {
				return err
			}
			host := newMCPHost(dir.Path, creds.Getenv(p.Getenv), p.Version)
			defer host.Close()
			cfg := host.Config
			name := func() (string, error) {
				if len(args) != 2 {
					return "", fmt.Errorf("%w: %s wants one server NAME", errUsage, args[0])
				}
				return args[1], nil
			}
			switch args[0] {
			case "ls":
				servers, err := cfg.Servers()
				if err != nil {
					return err
				}
				if *asJSON {
					if servers == nil {
						servers = []mcp.Server{}
					}
					return writeJSON(p.Stdout, servers)
				}
				tw := newTable(p.Stdout)
				fmt.Fprintln(tw, "NAME\tTRANSPORT\tENABLED\tTARGET")
				for _, s := range servers {
					fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", s.Name, s.Transport, !s.Disabled, serverTarget(s))
				}
				return tw.Flush()
			case "add":
				if len(args) < 2 {
					return fmt.Errorf("%w: add wants a NAME, then --url URL or -- COMMAND ARGS", errUsage)
				}
				s := mcp.Server{Name: args[1], Env: env, Headers: headers, Timeout: *timeout}
				switch {
				case *url != "" && len(args) > 2:
					return fmt.Errorf("%w: add takes --url or a command, not both", errUsage)
				case *url != "":
					s.Transport, s.URL = mcp.TransportHTTP, *url
					if *sse {
						s.Transport = mcp.TransportSSE
					}
				case len(args) > 2:
					s.Transport, s.Command, s.Args = mcp.TransportStdio, args[2], args[3:]
				default:
					return fmt.Errorf("%w: add %s wants --url URL or -- COMMAND ARGS", errUsage, args[1])
				}
				if err := saveSecrets(p, creds, s.Name, secretEnv, env); err != nil {
					return err
				}
				if err := saveSecrets(p, creds, s.Name, secretHeaders, headers); err != nil {
					return err
				}
				if err := cfg.Add(s); err != nil {
					if errors.Is(err, mcp.ErrBadConfig) {
						return fmt.Errorf("%w: %w", errUsage, err)
					}
					return err
				}
				fmt.Fprintf(p.Stdout, "added MCP server %s (%s) to %s; try: corral mcp test %s\n", s.Name, s.Transport, cfg.Path, s.Name)
				return nil
			case "import":
				if len(args) != 2 {
					return fmt.Errorf("%w: import wants a FILE holding {\"mcpServers\": ...} (or - for stdin)", errUsage)
				}
				var blob []byte
				if args[1] == "-" {
					blob, err = io.ReadAll(io.LimitReader(p.Stdin, 1<<20))
				} else {
					blob, err = os.ReadFile(args[1])
				}
				if err != nil {
					return err
				}
				names, err := cfg.Import(blob)
				if err != nil {
					return err
				}
				fmt.Fprintf(p.Stdout, "imported %d MCP servers: %s\n", len(names), strings.Join(names, ", "))
				return nil
			case "rm", "enable", "disable":
				n, err := name()
				if err != nil {
					return err
				}
				switch args[0] {
				case "rm":
					err = cfg.Remove(n)
				default:
					err = cfg.SetDisabled(n, args[0] == "disable")
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(p.Stdout, "%s: %s\n", n, map[string]string{"rm": "removed", "enable": "enabled", "disable": "disabled"}[args[0]])
				return nil
			case "test":
				n, err := name()
				if err != nil {
					return err
				}
				return testServer(ctx, p, host, n, *asJSON)
			case "logs":
				n, err := name()
				if err != nil {
					return err
				}
				_, err = io.WriteString(p.Stdout, host.Logs(n))
				return err
			default:
				return fmt.Errorf("%w: unknown action %q", errUsage, args[0])
			}
		}
	},
}

// testServer starts (or reaches) a server in a scratch workspace and lists
// its tools with their hints.
func testServer(ctx context.Context, p *Program, host *mcp.Host, name string, asJSON bool) error {
	ws, err := os.MkdirTemp("", "corral-mcp-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(ws)
	sb, err := local.New(ws, local.Options{})
	if err != nil {
		return err
	}
	defer sb.Close()
	defer host.Release(mcp.In(sb))
	begun := time.Now()
	d, err := host.Discover(ctx, mcp.In(sb), "", []string{name}, nil)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(p.Stdout, d)
	}
	st := d.Servers[0]
	if st.Error != "" {
		return fmt.Errorf("mcp server %s: %s", name, st.Error)
	}
	fmt.Fprintf(p.Stdout, "%s: connected (%s) in %d ms, %d tools\n", name, st.Transport, time.Since(begun).Milliseconds(), st.Tools)
	tw := newTable(p.Stdout)
	fmt.Fprintln(tw, "TOOL\tOFFERED AS\tHINTS\tDESCRIPTION")
	for _, t := range d.Tools {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Tool, t.Name, hints(t), clip(strings.ReplaceAll(t.Description, "\n", " "), 60))
	}
	return tw.Flush()
}

// hints names a tool's annotations as the approval gate reads them.
func hints(t mcp.ToolSpec) string {
	var h []string
	switch {
	case t.ReadOnly:
		h = append(h, "read-only")
	case t.DestructiveDeclared:
		h = append(h, "destructive")
	default:
		h = append(h, "writes")
	}
	if t.Idempotent {
		h = append(h, "idempotent")
	}
	if !t.OpenWorld {
		h = append(h, "closed-world")
	}
	return strings.Join(h, ",")
}

func serverTarget(s mcp.Server) string {
	if s.Transport == mcp.TransportStdio {
		return strings.Join(append([]string{s.Command}, s.Args...), " ")
	}
	return s.URL
}

// saveSecrets keeps each secret KEY=VALUE of server in the credential store
// and puts ${MCP_SERVER_KEY} in its place in into.
func saveSecrets(p *Program, creds *credential.Credentials, server string, secrets, into kvFlag) error {
	_, err := mcp.KeepSecrets(server, secrets, into, func(name, value string) error {
		where, err := creds.Set(name, value)
		if err == nil {
			fmt.Fprintf(p.Stderr, "kept %s of %s (%s)\n", name, server, where)
		}
		return err
	})
	return err
}

// mcpSecrets returns the values of the MCP secrets mcp.json refers to, for
// redaction.
func mcpSecrets(creds *credential.Credentials, dataDir string) []string {
	servers, _ := mcp.NewConfig(dataDir).Servers()
	return creds.ValuesOf(mcp.SecretNames(servers))
}
