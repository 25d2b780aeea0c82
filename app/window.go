package app

import (
	"fmt"
	"io/fs"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
)

// Window describes the desktop window.
type Window struct {
	Title  string
	Assets fs.FS  // the built UI, index.html at the root
	Icon   []byte // PNG, used by Linux window managers
}

// RunWindow opens the desktop window and blocks until it is closed.
func (a *App) RunWindow(w Window) error {
	err := wails.Run(&options.App{
		Title:       w.Title,
		Width:       1280,
		Height:      800,
		MinWidth:    900,
		MinHeight:   560,
		AssetServer: &assetserver.Options{Assets: w.Assets},
		Bind:        a.Bindings(),
		Linux:       &linux.Options{Icon: w.Icon, ProgramName: "corral", WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand},
		Windows:     &windows.Options{Theme: windows.SystemDefault},
		Mac:         &mac.Options{Appearance: mac.DefaultAppearance, About: &mac.AboutInfo{Title: w.Title, Icon: w.Icon}},
	})
	if err != nil {
		return fmt.Errorf("window: %w", err)
	}
	return nil
}
