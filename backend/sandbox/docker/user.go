package docker

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/client"
)

// ids is the numeric user and group files in a copied workspace belong
// to inside the container.
type ids struct{ uid, gid int }

// resolveIDs turns Config.User into numbers as the engine does: a name is
// looked up in the container's /etc/passwd (and a group name in /etc/group,
// both read with the archive API, so any image works); a user without a
// group gets its passwd group, or 0 when it has no passwd entry.
func (b *box) resolveIDs(ctx context.Context, id string) (ids, error) {
	user := b.spec.Config.User
	u, g, hasGroup := strings.Cut(user, ":")
	uid, uerr := strconv.Atoi(u)
	gid := 0
	if hasGroup {
		n, err := strconv.Atoi(g)
		if err != nil {
			group, err := b.readTable(ctx, id, "/etc/group")
			if err != nil {
				return ids{}, err
			}
			i := slices.IndexFunc(group, func(f []string) bool { return len(f) >= 3 && f[0] == g })
			if i < 0 {
				return ids{}, fmt.Errorf("docker: group %q is not in %s's /etc/group", g, b.spec.Config.Image)
			}
			n, _ = strconv.Atoi(group[i][2])
		}
		gid = n
	}
	if uerr == nil && (hasGroup || uid == 0) {
		return ids{uid, gid}, nil
	}
	passwd, err := b.readTable(ctx, id, "/etc/passwd")
	if err != nil {
		return ids{}, err
	}
	i := slices.IndexFunc(passwd, func(f []string) bool {
		return len(f) >= 4 && ((uerr != nil && f[0] == u) || (uerr == nil && f[2] == u))
	})
	switch {
	case i >= 0:
		uid, _ = strconv.Atoi(passwd[i][2])
		if !hasGroup {
			gid, _ = strconv.Atoi(passwd[i][3])
		}
	case uerr != nil:
		return ids{}, fmt.Errorf("docker: user %q is not in %s's /etc/passwd", u, b.spec.Config.Image)
	}
	return ids{uid, gid}, nil
}

// readTable reads a colon-separated table such as /etc/passwd from
// container id; a missing file is an empty table.
func (b *box) readTable(ctx context.Context, id, file string) ([][]string, error) {
	opCtx, cancel := b.m.opContext(ctx)
	defer cancel()
	res, err := b.m.cli.CopyFromContainer(opCtx, id, client.CopyFromContainerOptions{SourcePath: file})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, b.m.engineError(ctx, "read "+file, err)
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	if _, err := tr.Next(); err != nil {
		return nil, fmt.Errorf("docker: read %s: %w", file, err)
	}
	var out [][]string
	sc := bufio.NewScanner(io.LimitReader(tr, 4<<20))
	for sc.Scan() {
		out = append(out, strings.Split(sc.Text(), ":"))
	}
	return out, sc.Err()
}
