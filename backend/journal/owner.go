package journal

import (
	"os"
	"sync"

	"github.com/corral-dev/corral/backend/proc"
)

// openOwners holds the owner ids of the journals open in this process: an owner with this
// process's identity is alive exactly while its journal is open.
var openOwners sync.Map // owner id -> struct{}

// newOwner returns a fresh owner identity for a journal opened by this process.
func newOwner() Owner {
	host, _ := os.Hostname()
	pid, start := proc.Self()
	return Owner{ID: NewID("own"), PID: pid, Start: start, Host: host}
}

// processAlive reports whether o's process is alive; known is false where that cannot be
// told (the caller then goes by the heartbeat).
func processAlive(o Owner) (alive, known bool) {
	if pid, start := proc.Self(); o.PID == pid && o.Start == start {
		_, open := openOwners.Load(o.ID)
		return open, true
	}
	if o.PID <= 0 {
		return false, false
	}
	return proc.Alive(o.PID, o.Start), true
}
