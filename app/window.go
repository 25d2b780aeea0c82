package app

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// Window describes the desktop window.
type Window struct {
	Title  string
	Assets fs.FS  // the built UI, index.html at the root
	Icon   []byte // PNG, used by Linux window managers
}

// wailsEmitter sends events through the Wails runtime of the window.
type wailsEmitter struct{ ctx context.Context }

func (e wailsEmitter) Emit(name string, data any) { runtime.EventsEmit(e.ctx, name, data) }

// RunWindow opens the desktop window and blocks until it is closed. The services start
// with the window and stop when it closes.
func (a *App) RunWindow(w Window) error {
	var stop func()
	err := wails.Run(&options.App{
		OnStartup: func(ctx context.Context) {
			a.Workspace.setFolderDialog(func(title string) (string, error) {
				return runtime.OpenDirectoryDialog(ctx, runtime.OpenDialogOptions{Title: title, CanCreateDirectories: true})
			})
			stop = a.Start(ctx, wailsEmitter{ctx})
		},
		OnShutdown: func(context.Context) {
			if stop != nil {
				stop()
			}
		},
		Title:       w.Title,
		Width:       1280,
		Height:      800,
		MinWidth:    900,
		MinHeight:   560,
		AssetServer: &assetserver.Options{Assets: w.Assets},
		Bind:        a.Bindings(),
		// No accelerated compositing: it kept about 140 MiB more in WebKitWebProcess with a
		// 1,000-step run open (BenchmarkWindow, docs/ARCHITECTURE.md "Scale and footprint"),
		// and the graph culls and batches what it draws, so it does not need the GPU.
		Linux:   &linux.Options{Icon: w.Icon, ProgramName: "corral", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		Windows: &windows.Options{Theme: windows.SystemDefault},
		Mac:     &mac.Options{Appearance: mac.DefaultAppearance, About: &mac.AboutInfo{Title: w.Title, Icon: w.Icon}},
	})
	if err != nil {
		return fmt.Errorf("window: %w", err)
	}
	return nil
}
