package changes_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corral-dev/corral/backend/changes"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// recorder runs real tools in a workspace and keeps the journal steps a run would record.
type recorder struct {
	t     *testing.T
	sb    *local.Sandbox
	steps []journal.Step
}

func newRecorder(t *testing.T) *recorder {
	sb, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return &recorder{t: t, sb: sb}
}

// tools are the tools steps run, by the name a step records; "exec:small" is exec tracking at
// most 2 files.
var tools = map[string]tool.Tool{"write": &tool.Write{}, "edit": &tool.Edit{}, "exec": &tool.Exec{}, "read": &tool.Read{},
	"exec:small": &tool.Exec{MaxTrackedFiles: 2}}

// run runs a tool and records it as a completed step; change edits the recorded result
// first (to stand for what an older Corral or a file over the limit recorded).
func (r *recorder) run(name, input string, change func(*tool.Result)) {
	r.t.Helper()
	res, err := tools[name].Run(r.t.Context(), r.sb, json.RawMessage(input))
	if err != nil {
		r.t.Fatalf("%s %s: %v", name, input, err)
	}
	if change != nil {
		change(&res)
	}
	out, _ := json.Marshal(res)
	name, _, _ = strings.Cut(name, ":")
	r.steps = append(r.steps, journal.Step{Seq: len(r.steps) + 1, Kind: "tool", Name: name, Status: journal.StepCompleted, Input: []byte(input), Output: out})
}

// add records a step as given.
func (r *recorder) add(st journal.Step) {
	st.Seq, st.Kind = len(r.steps)+1, "tool"
	r.steps = append(r.steps, st)
}

func dropDiff(res *tool.Result) { res.Meta.Diff, res.Meta.Added, res.Meta.Removed = "", 0, 0 }

// untrack makes an exec result look as Corral recorded it before exec listed changed files.
func untrack(res *tool.Result) {
	res.Meta.ChangesTracked, res.Meta.Changed, res.Meta.ChangedOmitted, res.Meta.Untracked = false, nil, 0, ""
	res.Content, _, _ = strings.Cut(res.Content, "\nFiles changed:")
}

func TestChanges(t *testing.T) {
	t.Parallel()
	const code = "package main\n\nfunc main() {\n\tx := 1\n}\n"
	type want struct {
		seq     int
		source  changes.Source
		op      string
		diff    []string // lines the diff must hold
		added   int
		removed int
		note    string
	}
	tests := []struct {
		name  string
		steps func(r *recorder)
		want  want // what the last step changed
	}{
		{"a new file is its recorded content", func(r *recorder) {
			r.run("write", `{"path":"a.go","content":"package main\n\nfunc main() {}\n"}`, nil)
		}, want{1, changes.FromInput, "created", []string{"+++ b/a.go", "+func main() {}"}, 3, 0, ""}},
		{"an edit shows the diff it recorded", func(r *recorder) {
			r.run("write", `{"path":"a.go","content":`+quote(code)+`}`, nil)
			r.run("edit", `{"path":"a.go","old_string":"x := 1","new_string":"x := 2"}`, nil)
		}, want{2, changes.Recorded, "modified", []string{"-\tx := 1", "+\tx := 2", "@@ -1,5 +1,5 @@"}, 1, 1, ""}},
		{"a write over a file shows the diff it recorded", func(r *recorder) {
			r.run("write", `{"path":"a.go","content":"one\ntwo\n"}`, nil)
			r.run("write", `{"path":"a.go","content":"one\nthree\n"}`, nil)
		}, want{2, changes.Recorded, "modified", []string{"-two", "+three"}, 1, 1, ""}},
		{"an edit without a diff is rebuilt from earlier steps", func(r *recorder) {
			r.run("write", `{"path":"a.go","content":`+quote(code)+`}`, nil)
			r.run("read", `{"path":"a.go"}`, nil)
			r.run("edit", `{"path":"a.go","old_string":"x := 1","new_string":"x := 2"}`, dropDiff)
		}, want{3, changes.Reconstructed, "modified", []string{"-\tx := 1", "+\tx := 2", "@@ -1,5 +1,5 @@"}, 1, 1, "rebuilt"}},
		{"a write without a diff is rebuilt from earlier steps", func(r *recorder) {
			r.run("write", `{"path":"a.go","content":"one\ntwo\n"}`, nil)
			r.run("edit", `{"path":"a.go","old_string":"one","new_string":"ONE"}`, nil)
			r.run("write", `{"path":"a.go","content":"ONE\nthree\n"}`, dropDiff)
		}, want{3, changes.Reconstructed, "modified", []string{" ONE", "-two", "+three"}, 1, 1, "rebuilt"}},
		{"after a command, only the replaced text is known", func(r *recorder) {
			r.run("write", `{"path":"a.go","content":`+quote(code)+`}`, nil)
			r.run("exec", `{"command":"true"}`, nil)
			r.run("edit", `{"path":"a.go","old_string":"x := 1","new_string":"x := 2"}`, dropDiff)
		}, want{3, changes.Partial, "modified", []string{"-x := 1", "+x := 2"}, 1, 1, "replaced text"}},
		{"after a command, a write without a diff cannot be rebuilt", func(r *recorder) {
			r.run("write", `{"path":"a.go","content":"one\n"}`, nil)
			r.run("exec", `{"command":"echo x >> a.go"}`, nil)
			r.run("write", `{"path":"a.go","content":"two\n"}`, dropDiff)
		}, want{3, changes.Unknown, "modified", nil, 0, 0, "cannot be rebuilt"}},
		{"a command's changes are unknown in an older record", func(r *recorder) {
			r.run("exec", `{"command":"echo hi > b.txt"}`, untrack)
		}, want{1, changes.Unknown, "", nil, 0, 0, "ran before Corral recorded which files"}},
		{"a call that returned an error changed nothing", func(r *recorder) {
			r.run("write", `{"path":"a.go","content":"one\n"}`, nil)
			r.run("edit", `{"path":"a.go","old_string":"nope","new_string":"x"}`, nil)
		}, want{2, changes.None, "", nil, 0, 0, "old_string was not found"}},
		{"a call cut off is unknown", func(r *recorder) {
			r.add(journal.Step{Name: "write", Status: journal.StepStarted, Input: []byte(`{"path":"a.go","content":"x"}`)})
		}, want{1, changes.Unknown, "", nil, 0, 0, "cut off"}},
		{"a call skipped after a crash is unknown", func(r *recorder) {
			r.add(journal.Step{Name: "edit", Status: journal.StepCompleted, Resolution: journal.ActionSkip,
				Input: []byte(`{"path":"a.go","old_string":"a","new_string":"b"}`), Output: []byte(`{"content":"skipped","is_error":true}`)})
		}, want{1, changes.Unknown, "", nil, 0, 0, "skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRecorder(t)
			tt.steps(r)
			all := changes.Changes(r.steps)
			for _, c := range all {
				if c.Tool == "read" {
					t.Errorf("Changes() lists read step %d; reads change nothing", c.Seq)
				}
			}
			got, ok := changes.Of(r.steps, tt.want.seq)
			if !ok {
				t.Fatalf("Of(%d) = not found in %+v", tt.want.seq, all)
			}
			if got.Source != tt.want.source || !strings.Contains(got.Note, tt.want.note) {
				t.Errorf("Of(%d) = source %q note %q, want %q with note containing %q", tt.want.seq, got.Source, got.Note, tt.want.source, tt.want.note)
			}
			if tt.want.op == "" {
				if len(got.Files) != 0 {
					t.Errorf("Of(%d).Files = %+v, want none", tt.want.seq, got.Files)
				}
				return
			}
			if len(got.Files) != 1 {
				t.Fatalf("Of(%d).Files = %+v, want one file", tt.want.seq, got.Files)
			}
			f := got.Files[0]
			if f.Path != "a.go" || f.Op != tt.want.op || f.Added != tt.want.added || f.Removed != tt.want.removed {
				t.Errorf("file = %s %s +%d -%d, want a.go %s +%d -%d", f.Path, f.Op, f.Added, f.Removed, tt.want.op, tt.want.added, tt.want.removed)
			}
			lines := strings.Split(f.Diff, "\n")
			for _, l := range tt.want.diff {
				if !contains(lines, l) {
					t.Errorf("diff lacks line %q:\n%s", l, f.Diff)
				}
			}
		})
	}
}

// TestReconstructionMatchesTheTool: a diff rebuilt from the record equals the one the tool
// recorded when it ran.
func TestReconstructionMatchesTheTool(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	r.run("write", `{"path":"f.txt","content":"a\r\nb\r\nc\r\nb\r\n"}`, nil)
	r.run("edit", `{"path":"f.txt","old_string":"b\n","new_string":"B\n","replace_all":true}`, nil)
	recorded := changes.Changes(r.steps)[1].Files[0]
	r.steps[1].Output = stripDiff(t, r.steps[1].Output)
	rebuilt := changes.Changes(r.steps)[1].Files[0]
	if rebuilt.Source != changes.Reconstructed || rebuilt.Diff != recorded.Diff {
		t.Errorf("rebuilt (%s):\n%s\nrecorded:\n%s", rebuilt.Source, rebuilt.Diff, recorded.Diff)
	}
}

func stripDiff(t *testing.T, out []byte) []byte {
	var res tool.Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	dropDiff(&res)
	b, _ := json.Marshal(res)
	return b
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func contains(lines []string, l string) bool {
	for _, x := range lines {
		if x == l {
			return true
		}
	}
	return false
}

// TestCommandChanges: a command's step lists the files the exec tool found changed, without
// diffs, and stays unknown when they were not tracked.
func TestCommandChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		steps  func(r *recorder)
		source changes.Source
		files  []changes.File
		more   int
		note   []string // substrings of the step's note
	}{
		{"created, modified and deleted files are listed", func(r *recorder) {
			r.run("write", `{"path":"a.txt","content":"one\n"}`, nil)
			r.run("write", `{"path":"gone.txt","content":"x"}`, nil)
			r.run("exec", `{"command":"echo two >> a.txt && rm gone.txt && mkdir d && printf hello > d/new.txt"}`, nil)
		}, changes.Listed, []changes.File{
			{Path: "a.txt", Op: "modified", Source: changes.Listed, Bytes: 8},
			{Path: "d/new.txt", Op: "created", Source: changes.Listed, Bytes: 5},
			{Path: "gone.txt", Op: "deleted", Source: changes.Listed},
		}, 0, []string{"3 files changed", "contents were not recorded"}},
		{"a failing command's changes are listed too", func(r *recorder) {
			r.run("exec", `{"command":"echo x > out.txt; exit 1"}`, nil)
		}, changes.Listed, []changes.File{{Path: "out.txt", Op: "created", Source: changes.Listed, Bytes: 2}}, 0, []string{"1 file changed"}},
		{"past the cap the rest are counted", func(r *recorder) {
			r.run("exec", `{"command":"for i in $(seq 100 309); do : > f$i; done"}`, nil)
		}, changes.Listed, nil, 10, []string{"210 files changed", "first 200 are named"}},
		{"a command that changed nothing", func(r *recorder) {
			r.run("exec", `{"command":"echo hi"}`, nil)
		}, changes.None, nil, 0, []string{"changed no file"}},
		{"a workspace over the limit is unknown, with the reason", func(r *recorder) {
			r.run("write", `{"path":"a.txt","content":"a"}`, nil)
			r.run("write", `{"path":"b.txt","content":"b"}`, nil)
			r.run("write", `{"path":"c.txt","content":"c"}`, nil)
			r.run("exec:small", `{"command":"echo x > d.txt"}`, nil)
		}, changes.Unknown, nil, 0, []string{"did not track", "more than 2 files"}},
		{"a command cut off is unknown", func(r *recorder) {
			r.add(journal.Step{Name: "exec", Status: journal.StepStarted, Input: []byte(`{"command":"make"}`)})
		}, changes.Unknown, nil, 0, []string{"cut off"}},
		{"a command skipped after a crash is unknown", func(r *recorder) {
			r.add(journal.Step{Name: "exec", Status: journal.StepCompleted, Resolution: journal.ActionSkip,
				Input: []byte(`{"command":"make"}`), Output: []byte(`{"content":"skipped","is_error":true}`)})
		}, changes.Unknown, nil, 0, []string{"skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRecorder(t)
			tt.steps(r)
			got, ok := changes.Of(r.steps, len(r.steps))
			if !ok {
				t.Fatalf("Of(%d) = not found", len(r.steps))
			}
			if got.Tool != "exec" || got.Source != tt.source || got.More != tt.more {
				t.Errorf("Of(%d) = tool %s source %q more %d, want exec %q more %d", got.Seq, got.Tool, got.Source, got.More, tt.source, tt.more)
			}
			for _, n := range tt.note {
				if !strings.Contains(got.Note, n) {
					t.Errorf("Of(%d).Note = %q, want it to contain %q", got.Seq, got.Note, n)
				}
			}
			if tt.more > 0 {
				if len(got.Files) != 200 || got.Files[0].Path != "f100" {
					t.Errorf("Of(%d).Files = %d from %v, want 200 from f100", got.Seq, len(got.Files), got.Files[0])
				}
				return
			}
			if diff := cmp.Diff(tt.files, got.Files, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Of(%d).Files (-want +got):\n%s", got.Seq, diff)
			}
		})
	}
}
