//go:build desktop

package cli

// hasWindow: this binary links the webview and opens the window itself.
const hasWindow = true

// handOver is never needed in the desktop binary.
func handOver(*Program) error { return nil }
