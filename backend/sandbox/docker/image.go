package docker

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/sandbox"
)

// ensureImage makes sure image is on the engine, pulling it if not and
// reporting the pull's progress.
func (m *Manager) ensureImage(ctx context.Context, image string, progress func(Progress)) error {
	opCtx, cancel := m.opContext(ctx)
	_, err := m.cli.ImageInspect(opCtx, image)
	cancel()
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return m.engineError(ctx, "inspect image "+image, err)
	}
	if err := m.pull(ctx, image, progress); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("docker: pull image %s: %w", image, ctx.Err())
		}
		if client.IsErrConnectionFailed(err) {
			return fmt.Errorf("docker: image %s not found locally and could not be pulled: %w: %w", image, sandbox.ErrUnavailable, err)
		}
		return fmt.Errorf("docker: image %s not found locally and could not be pulled: %w", image, err)
	}
	return nil
}

// errPull is the cause of an image pull the engine reported as failed.
var errPull = errors.New("pull failed")

func (m *Manager) pull(ctx context.Context, image string, progress func(Progress)) error {
	resp, err := m.cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return err
		}
		if msg.Error != nil {
			return fmt.Errorf("%w: %s", errPull, msg.Error.Message)
		}
		if progress != nil && (msg.Status != "" || msg.Progress != nil) {
			p := Progress{Image: image, Layer: msg.ID, Status: msg.Status}
			if msg.Progress != nil {
				p.Current, p.Total = msg.Progress.Current, msg.Progress.Total
			}
			progress(p)
		}
	}
	opCtx, cancel := m.opContext(ctx)
	defer cancel()
	_, err = m.cli.ImageInspect(opCtx, image)
	return err
}
