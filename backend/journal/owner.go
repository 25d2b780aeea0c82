package journal

import (
	"os"
	"sync"
)

// openOwners holds the owner ids of the journals open in this process: an owner with this
// process's identity is alive exactly while its journal is open.
var openOwners sync.Map // owner id -> struct{}

// selfStart is this process's start identity, read once.
var selfStart = sync.OnceValue(func() string { return processStart(os.Getpid()) })

// newOwner returns a fresh owner identity for a journal opened by this process.
func newOwner() Owner {
	host, _ := os.Hostname()
	return Owner{ID: NewID("own"), PID: os.Getpid(), Start: selfStart(), Host: host}
}

// processAlive reports whether o's process is alive; known is false where this platform
// cannot tell (the caller then goes by the heartbeat).
func processAlive(o Owner) (alive, known bool) {
	if o.PID == os.Getpid() && o.Start == selfStart() {
		_, open := openOwners.Load(o.ID)
		return open, true
	}
	return otherProcessAlive(o)
}
