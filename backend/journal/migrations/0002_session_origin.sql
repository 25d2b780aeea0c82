-- 0002_session_origin: where a session came from.
--
-- origin is 'local' for a session whose runs ran here and 'imported' for one
-- loaded from an exported trace (read-only). imported_from is the file name
-- the person imported and imported_at when (unix nanoseconds; NULL when not
-- imported, or imported before this column existed).
--
-- Sessions imported before this migration are recognised by the id prefix
-- the importer gave them, once, here; afterwards the column is the truth.

ALTER TABLE sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'imported'));
ALTER TABLE sessions ADD COLUMN imported_from TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN imported_at INTEGER;

UPDATE sessions SET origin = 'imported' WHERE substr(id, 1, 4) = 'imp_';
