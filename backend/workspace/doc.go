// Package workspace owns the live file tree of a session's workspace
// directory: Snapshot lists the tree once, and a Watcher reports what
// changes in it afterwards as debounced batches, with fsnotify (inotify on
// Linux) and a polling fallback when the system's watch limits are reached.
//
// Both apply the same ignore rules: .git, .hg, .svn and node_modules, the
// patterns of Options.Ignore, and .gitignore and .ignore files in every
// directory (git's syntax; the last matching pattern wins, so "!name"
// re-includes). Ignored entries are listed with Ignored set; ignored
// directories are shown collapsed: never descended into nor watched.
// Symbolic links are listed, never followed.
//
// Package workspace must not know about sessions, runs, steps or the UI: it
// reports changes to whoever reads the batches, and attributing them to an
// agent's steps is the reader's job.
package workspace
