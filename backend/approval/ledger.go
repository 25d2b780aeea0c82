package approval

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/config"
)

// LedgerFile is the name of the remembered rules' file in the data
// directory.
const LedgerFile = "rules.json"

// ErrRuleNotFound reports a Remove of an id the Ledger does not have.
var ErrRuleNotFound = errors.New("approval: rule not found")

// Entry is one remembered rule.
type Entry struct {
	ID        string    `json:"id"`
	Scope     Scope     `json:"scope"`
	List      List      `json:"list"`
	Rule      string    `json:"rule"`
	CreatedAt time.Time `json:"created_at"`
	// Source says how the rule came: "approval" (remembered with an
	// answer), "user" (added by hand, the default), "config".
	Source string `json:"source"`
}

// Ledger is the remembered rules, kept as a JSON list in rules.json under
// the data directory. Every call reads the file, so rules added by another
// process (the CLI while the window runs) are seen; writes replace the
// file atomically (temporary file and rename) with mode 0600. Calls in one
// process are serialised; two processes adding at the same instant may
// lose one addition. It is safe for concurrent use.
type Ledger struct {
	path string
	mu   sync.Mutex
	// Now is the clock for CreatedAt; nil means time.Now.
	Now func() time.Time
}

// NewLedger returns the ledger of the data directory dataDir. The file is
// created on the first Add.
func NewLedger(dataDir string) *Ledger {
	return &Ledger{path: filepath.Join(dataDir, LedgerFile)}
}

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

// List returns the remembered rules in the order they were added.
func (l *Ledger) List() ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.load()
}

// Add remembers e. The rule text is checked and normalised; ID, CreatedAt
// and Source are filled when empty. Adding a rule that is already there
// (same scope, list and text) returns the existing entry.
func (l *Ledger) Add(e Entry) (Entry, error) {
	r, err := ParseRule(e.List, e.Scope, e.Rule)
	if err != nil {
		return Entry{}, err
	}
	e.Rule = r.Text
	l.mu.Lock()
	defer l.mu.Unlock()
	entries, err := l.load()
	if err != nil {
		return Entry{}, err
	}
	if i := slices.IndexFunc(entries, func(x Entry) bool { return x.Scope == e.Scope && x.List == e.List && x.Rule == e.Rule }); i >= 0 {
		return entries[i], nil
	}
	if e.ID == "" {
		e.ID = newID()
	}
	if e.CreatedAt.IsZero() {
		now := time.Now
		if l.Now != nil {
			now = l.Now
		}
		e.CreatedAt = now().UTC()
	}
	if e.Source == "" {
		e.Source = "user"
	}
	if err := l.save(append(entries, e)); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// AddRule remembers a rule as a person typed it: rule ("exec(npm test)", "write(src/**)")
// on list ("allow", "ask" or "deny") at scope ("global", "agent:ID" or "session:ID"), with
// Source "user"; white space around each is ignored. A bad list or rule fails with
// ErrBadRule, a bad scope with ErrBadScope. It is what `corral rules add` and the window's
// Rules section both call.
func (l *Ledger) AddRule(list, rule, scope string) (Entry, error) {
	sc, err := ParseScope(strings.TrimSpace(scope))
	if err != nil {
		return Entry{}, err
	}
	return l.Add(Entry{Scope: sc, List: List(strings.TrimSpace(list)), Rule: strings.TrimSpace(rule), Source: "user"})
}

// ScopeFor turns a scope named relative to a run ("session", "agent" or "global") into the
// rule scope for the run of agentID in sessionID; any other name fails with ErrBadScope.
func ScopeFor(name, agentID, sessionID string) (Scope, error) {
	switch name {
	case "session":
		return SessionScope(sessionID), nil
	case "agent":
		return AgentScope(agentID), nil
	case "global":
		return Global, nil
	}
	return "", fmt.Errorf("%w %q: want session, agent or global", ErrBadScope, name)
}

// Remove forgets the rule id.
func (l *Ledger) Remove(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	entries, err := l.load()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(entries, func(x Entry) bool { return x.ID == id })
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrRuleNotFound, id)
	}
	return l.save(slices.Delete(entries, i, i+1))
}

// RuleSet returns the remembered rules that apply to a run of agentID in
// sessionID: the global ones, the agent's and the session's. An empty id
// leaves its scope out. A rule in the file that no longer parses is an
// error (it may be a deny rule; skipping it would weaken the gate).
func (l *Ledger) RuleSet(agentID, sessionID string) (RuleSet, error) {
	entries, err := l.List()
	if err != nil {
		return RuleSet{}, err
	}
	var rules []Rule
	for _, e := range entries {
		applies := e.Scope == Global || agentID != "" && e.Scope == AgentScope(agentID) || sessionID != "" && e.Scope == SessionScope(sessionID)
		if !applies {
			continue
		}
		r, err := ParseRule(e.List, e.Scope, e.Rule)
		if err != nil {
			return RuleSet{}, fmt.Errorf("approval: %s: rule %s: %w", l.path, e.ID, err)
		}
		r.ID = e.ID
		rules = append(rules, r)
	}
	return NewRuleSet(rules...), nil
}

// Test judges the command line cmd against the remembered rules as a run
// would see them: the global rules, plus an agent's or a session's when scope
// is "agent:ID" or "session:ID" ("" or "global" means the global ones only).
// It is what `corral rules test` and the window's rule tester both call.
func (l *Ledger) Test(cmd string, scope string) (Verdict, error) {
	agentID, sessionID := "", ""
	if scope != "" {
		sc, err := ParseScope(scope)
		if err != nil {
			return Verdict{}, err
		}
		if id, ok := strings.CutPrefix(string(sc), "agent:"); ok {
			agentID = id
		}
		if id, ok := strings.CutPrefix(string(sc), "session:"); ok {
			sessionID = id
		}
	}
	rules, err := l.RuleSet(agentID, sessionID)
	if err != nil {
		return Verdict{}, err
	}
	return Evaluate(cmd, rules, Workspace{}), nil
}

func (l *Ledger) load() ([]Entry, error) {
	blob, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("approval: read rules: %w", err)
	}
	if strings.TrimSpace(string(blob)) == "" {
		return nil, nil
	}
	var entries []Entry
	if err := json.Unmarshal(blob, &entries); err != nil {
		return nil, fmt.Errorf("approval: %s: %w", l.path, err)
	}
	return entries, nil
}

// save replaces the ledger atomically (config.WriteFileAtomic), so a reader
// sees the old list or the new one, never half.
func (l *Ledger) save(entries []Entry) error {
	if entries == nil {
		entries = []Entry{}
	}
	blob, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return fmt.Errorf("approval: encode rules: %w", err)
	}
	if err := config.WriteFileAtomic(l.path, append(blob, '\n')); err != nil {
		return fmt.Errorf("approval: save rules: %w", err)
	}
	return nil
}

// newID returns a random rule id.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
