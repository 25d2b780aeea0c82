package journal

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultBusyTimeout is how long a write waits for another connection's lock
// before failing with [ErrLocked].
const DefaultBusyTimeout = 5 * time.Second

// readConns bounds the connections used for reads. The durable pool has one
// more for its writes, and the lazy pool one connection of its own.
const readConns = 4

// Options tune [OpenWith]. The zero value gives the defaults used by [Open].
type Options struct {
	// BusyTimeout is how long an operation waits for a lock held by another
	// connection; zero means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// DurableFinish commits each step's completed or failed record with its
	// own fsync (synchronous=FULL) instead of letting the next durable commit
	// carry it to disk. It doubles the fsyncs per step; see the package doc.
	DurableFinish bool
	// ReadOnly opens the journal for reading only, for commands that only read (runs,
	// show, sessions, export, approvals): the file is opened with SQLite's mode=ro and
	// query_only, so nothing is written even by a process that could (root ignores file
	// modes), and a read-only data directory works. When the directory holds no WAL
	// index SQLite could share, the file is opened as immutable (a snapshot that ignores
	// concurrent writers). A schema older than this program is ErrSchemaOld: it needs a
	// writable open to migrate. Writes fail with ErrReadOnly.
	ReadOnly bool

	// maxPageCount caps the database size in pages (PRAGMA max_page_count);
	// tests use it to make SQLite report a full disk.
	maxPageCount int
	// heartbeat and leaseTTL time run leases (see lease.go); zero means the defaults.
	heartbeat, leaseTTL time.Duration
	// onBeat is called after each heartbeat that refreshed a lease (tests).
	onBeat func()
}

// Journal is an open journal database. It is safe for concurrent use.
type Journal struct {
	path string
	// db serves reads and the writes that must be durable when they commit.
	db *sql.DB
	// lazy commits step completions with synchronous=NORMAL; it is db when
	// Options.DurableFinish is set.
	lazy *sql.DB
	// wsem serializes writes in this process so they never contend in
	// SQLite's busy handler.
	wsem chan struct{}

	mu       sync.Mutex
	inflight map[stepKey]struct{}

	// owner is who this journal claims runs as; heartbeat and leaseTTL time its leases.
	owner               Owner
	heartbeat, leaseTTL time.Duration
	onBeat              func()

	// The step hot path, prepared once: preparing them on every call cost
	// about a fifth of a step.
	getStep, insertStep, rerunStep, completeStep, failStep *sql.Stmt
	// addCheckpoint is on the hot path too: a side-effect step takes two checkpoints.
	addCheckpoint *sql.Stmt
}

type stepKey struct {
	runID string
	seq   int
}

// Open opens the journal at path, creating the file if it does not exist and
// migrating its schema to the newest version this program knows.
func Open(ctx context.Context, path string) (*Journal, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is [Open] with options.
func OpenWith(ctx context.Context, path string, opts Options) (*Journal, error) {
	j, err := open(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	return j, nil
}

func open(ctx context.Context, path string, opts Options) (_ *Journal, err error) {
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	j := &Journal{
		path:      path,
		wsem:      make(chan struct{}, 1),
		inflight:  make(map[stepKey]struct{}),
		owner:     newOwner(),
		heartbeat: cmp.Or(opts.heartbeat, DefaultHeartbeat),
		leaseTTL:  cmp.Or(opts.leaseTTL, DefaultLeaseTTL),
		onBeat:    opts.onBeat,
	}
	openOwners.Store(j.owner.ID, struct{}{})
	defer func() {
		if err != nil {
			j.Close()
		}
	}()
	if opts.ReadOnly {
		return j, j.openReadOnly(ctx, opts)
	}

	full := pragmas{busyTimeout: opts.BusyTimeout, synchronous: syncFull, maxPageCount: opts.maxPageCount}
	if j.db, err = openDB(path, full, readConns+1); err != nil {
		return nil, err
	}
	if err := connect(ctx, j.db, full); err != nil {
		return nil, err
	}
	if err := j.migrate(ctx, migrations); err != nil {
		return nil, err
	}
	if opts.DurableFinish {
		j.lazy = j.db
	} else {
		normal := full
		normal.synchronous = syncNormal
		if j.lazy, err = openDB(path, normal, 1); err != nil {
			return nil, err
		}
		if err := connect(ctx, j.lazy, normal); err != nil {
			return nil, err
		}
	}
	if err := j.prepare(ctx); err != nil {
		return nil, classify(err)
	}
	return j, nil
}

func (j *Journal) prepare(ctx context.Context) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		db    *sql.DB
		query string
	}{
		{&j.getStep, j.db, sqlGetStep},
		{&j.insertStep, j.db, sqlInsertStep},
		{&j.rerunStep, j.db, sqlRerunStep},
		{&j.completeStep, j.lazy, sqlCompleteStep},
		{&j.failStep, j.lazy, sqlFailStep},
		{&j.addCheckpoint, j.lazy, sqlAddCheckpoint},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			return err
		}
		*p.stmt = stmt
	}
	return nil
}

// Close closes the database. Steps still running in other goroutines fail
// to record their result.
func (j *Journal) Close() error {
	openOwners.Delete(j.owner.ID)
	var errs []error
	for _, s := range []*sql.Stmt{j.getStep, j.insertStep, j.rerunStep, j.completeStep, j.failStep, j.addCheckpoint} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if j.lazy != nil && j.lazy != j.db {
		errs = append(errs, j.lazy.Close())
	}
	if j.db != nil {
		errs = append(errs, j.db.Close())
	}
	return errors.Join(errs...)
}

// Path returns the file the journal was opened from.
func (j *Journal) Path() string { return j.path }

const (
	syncNormal = 1
	syncFull   = 2
)

// pragmas are the per-connection settings every connection of a pool gets
// from its DSN, and that checkPragmas reads back.
type pragmas struct {
	busyTimeout  time.Duration
	synchronous  int // syncNormal or syncFull
	maxPageCount int
}

// dsn builds a file: URI so that any character in path survives, with the
// pragmas as _pragma parameters applied by the driver to every new
// connection. _txlock=immediate makes BEGIN take the write lock at once, so a
// transaction never fails midway upgrading a read lock.
func (p pragmas) dsn(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	abs = filepath.ToSlash(abs)
	if !strings.HasPrefix(abs, "/") {
		abs = "/" + abs // C:/x -> /C:/x, as SQLite URIs want on Windows
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", p.busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("synchronous(%d)", p.synchronous))
	q.Add("_pragma", "foreign_keys(1)")
	if p.maxPageCount > 0 {
		q.Add("_pragma", fmt.Sprintf("max_page_count(%d)", p.maxPageCount))
	}
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String(), nil
}

// openReadOnly opens j for reading only (Options.ReadOnly).
func (j *Journal) openReadOnly(ctx context.Context, opts Options) error {
	if _, err := os.Stat(j.path); err != nil {
		return err // a read-only open never creates the file
	}
	modes := []bool{true}
	if _, err := os.Lstat(j.path + "-wal"); err == nil {
		modes = []bool{false, true}
	}
	var err error
	for _, immutable := range modes {
		if j.db != nil {
			j.db.Close()
		}
		if j.db, err = openReadOnlyDB(j.path, opts.BusyTimeout, immutable); err != nil {
			return err
		}
		var version int
		if version, err = j.checkSchema(ctx, migrations); err != nil {
			continue // no WAL index to share (a read-only directory): try immutable
		}
		if want := migrations[len(migrations)-1].version; version < want {
			return fmt.Errorf("%w: version %d, this program writes %d", ErrSchemaOld, version, want)
		}
		j.lazy = j.db
		return classify(j.prepare(ctx))
	}
	return classifyOpen(err)
}

// openReadOnlyDB opens path with mode=ro and query_only; immutable also tells SQLite the
// file cannot change, so it takes no locks and needs no WAL index.
func openReadOnlyDB(path string, busy time.Duration, immutable bool) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	abs = filepath.ToSlash(abs)
	if !strings.HasPrefix(abs, "/") {
		abs = "/" + abs
	}
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "foreign_keys(1)")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(readConns)
	db.SetMaxIdleConns(readConns)
	return db, nil
}

func openDB(path string, p pragmas, conns int) (*sql.DB, error) {
	dsn, err := p.dsn(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

// connect makes db's first connection and checks its pragmas (checkPragmas). Connections
// of processes opening a new file at once race to switch it to WAL, and SQLite answers the
// loser with SQLITE_BUSY at once instead of waiting in the busy handler; connect waits and
// tries again, for as long as the busy timeout, so a database locked for longer still
// fails with ErrLocked.
func connect(ctx context.Context, db *sql.DB, want pragmas) error {
	deadline := time.Now().Add(want.busyTimeout)
	for delay := 2 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := checkPragmas(ctx, db, want)
		if !errors.Is(err, ErrLocked) || time.Now().Add(delay).After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// checkPragmas reads the settings back from a connection of db: a DSN
// parameter the driver ignored, or a journal mode SQLite refused (WAL is not
// available on every file system), must not go unnoticed.
func checkPragmas(ctx context.Context, db *sql.DB, want pragmas) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return classifyOpen(err)
	}
	defer conn.Close()

	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return classifyOpen(err)
	}
	checks := []struct {
		name string
		want int64
	}{
		{"synchronous", int64(want.synchronous)},
		{"foreign_keys", 1},
		{"busy_timeout", want.busyTimeout.Milliseconds()},
	}
	var bad []string
	if !strings.EqualFold(mode, "wal") {
		bad = append(bad, fmt.Sprintf("journal_mode is %s, want wal", mode))
	}
	for _, c := range checks {
		var got int64
		if err := conn.QueryRowContext(ctx, "PRAGMA "+c.name).Scan(&got); err != nil {
			return classifyOpen(err)
		}
		if got != c.want {
			bad = append(bad, fmt.Sprintf("%s is %d, want %d", c.name, got, c.want))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("journal: pragmas not applied: %s", strings.Join(bad, "; "))
	}
	return nil
}

// classifyOpen is classify for errors met while opening: a file SQLite
// cannot read as a database is reported as ErrCorrupt even when the driver
// loses the result code on the way.
func classifyOpen(err error) error {
	err = classify(err)
	if !errors.Is(err, ErrCorrupt) && strings.Contains(err.Error(), "file is not a database") {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

// acquire takes the process-wide write slot.
func (j *Journal) acquire(ctx context.Context) error {
	select {
	case j.wsem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (j *Journal) release() { <-j.wsem }

// exec runs one write statement as its own transaction on db.
func (j *Journal) exec(ctx context.Context, db *sql.DB, query string, args ...any) (sql.Result, error) {
	if err := j.acquire(ctx); err != nil {
		return nil, err
	}
	defer j.release()
	res, err := db.ExecContext(ctx, query, args...)
	return res, classify(err)
}

// execStmt is exec for a prepared statement.
func (j *Journal) execStmt(ctx context.Context, stmt *sql.Stmt, args ...any) (sql.Result, error) {
	if err := j.acquire(ctx); err != nil {
		return nil, err
	}
	defer j.release()
	res, err := stmt.ExecContext(ctx, args...)
	return res, classify(err)
}

// tx runs fn in one write transaction on the durable connection.
func (j *Journal) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return j.txOn(ctx, j.db, fn)
}

// txOn is tx on db: the durable connection, or the lazy one (committed without an fsync).
func (j *Journal) txOn(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	if err := j.acquire(ctx); err != nil {
		return err
	}
	defer j.release()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}

func (j *Journal) stamp() int64 { return time.Now().UnixNano() }

func fromStamp(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
