// Package walk is the one home of how Corral lists a directory tree: Tree reads
// directories from several goroutines at once, handing each to the caller, which returns
// the subdirectories to read next; Stat and StatAt say what Corral compares to tell that a
// file changed (mode, size, mtime, ctime, inode) without reading it.
//
// The workspace watcher, the exec tool's change tracking and checkpoints all walk with it.
// Package walk must not know what its callers keep: ignore rules, which entries they list,
// sandboxes, checkpoints or the UI.
package walk
