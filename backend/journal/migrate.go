package journal

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
)

// applicationID marks a SQLite file as a Corral journal (PRAGMA
// application_id, bytes 68-71 of the header): "CRRL".
const applicationID = 0x4352524c

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded schema migrations, checked at init so that a
// misnamed file fails every test rather than a user's Open.
var migrations = mustLoadMigrations(migrationFiles)

type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads migrations/NNNN_name.sql from fsys; versions must
// run 1, 2, 3, ... without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	paths, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, p := range paths {
		base := p[len("migrations/"):]
		m := migrationName.FindStringSubmatch(base)
		if m == nil {
			return nil, fmt.Errorf("journal: migration %s: name must look like 0001_name.sql", base)
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(a, b int) bool { return ms[a].version < ms[b].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("journal: migration %s: want version %d", m.name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("journal: no migrations")
	}
	return ms, nil
}

func mustLoadMigrations(fsys fs.FS) []migration {
	ms, err := loadMigrations(fsys)
	if err != nil {
		panic(err)
	}
	return ms
}

// SchemaVersion returns the schema version this program writes: the number
// of the newest embedded migration.
func SchemaVersion() int { return len(migrations) }

// migrate brings the schema up to the last of ms, one transaction per
// migration. Each transaction rereads user_version after taking the write
// lock, so two processes opening a new file at once apply each migration once.
func (j *Journal) migrate(ctx context.Context, ms []migration) error {
	version, err := j.checkSchema(ctx, ms)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.version <= version {
			continue
		}
		err := j.tx(ctx, func(tx *sql.Tx) error {
			var current int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
				return err
			}
			if current >= m.version {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if m.version == 1 {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to %s: %w", m.name, err)
		}
	}
	return nil
}

// checkSchema returns the file's schema version, refusing files that are not
// Corral journals and schemas newer than ms.
func (j *Journal) checkSchema(ctx context.Context, ms []migration) (int, error) {
	var version, appID, objects int
	row := j.db.QueryRowContext(ctx, `SELECT
		(SELECT user_version FROM pragma_user_version),
		(SELECT application_id FROM pragma_application_id),
		(SELECT count(*) FROM sqlite_schema)`)
	if err := row.Scan(&version, &appID, &objects); err != nil {
		return 0, classifyOpen(err)
	}
	switch {
	case version == 0 && objects > 0, version > 0 && appID != applicationID:
		return 0, fmt.Errorf("%w: application_id %#x, user_version %d", ErrCorrupt, appID, version)
	case version > len(ms):
		return 0, fmt.Errorf("%w: database has schema version %d, this program knows up to %d; use a newer Corral",
			ErrSchemaTooNew, version, len(ms))
	}
	return version, nil
}
