// Package checkpoint keeps the states of workspaces a person can go back to: before and
// after every run step that can change a workspace, and before every restore.
//
// A checkpoint is a manifest (every file, folder and symbolic link under the workspace:
// path, type, mode, size, mtime, the sha256 of a file's content, a link's target) and the
// contents it names, stored once by hash (blobs) under DATA_DIR/checkpoints, never inside
// the workspace. A checkpoint reads only what changed since the workspace's previous one:
// a file whose stat (size, mode, mtime, ctime, inode) is unchanged keeps its hash, and an
// unchanged tree reuses the previous manifest. Folders named in Options.ExcludeFolders
// (node_modules by default), files over Options.MaxFileSize, and what is neither a file,
// folder nor link are left out, and each checkpoint lists them. Restore puts a workspace
// back byte- and mode-identical (through an os.Root), leaving .git alone unless asked and
// saying when HEAD or refs moved; it first checkpoints the workspace as it is, so every
// restore can be undone.
//
// Which run and step a checkpoint belongs to, and each restore, are journal records; the
// package must not know how runs are driven (agent), how sandboxes reach a workspace, or
// SQL.
package checkpoint
