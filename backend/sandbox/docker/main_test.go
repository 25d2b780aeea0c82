package docker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// testImage is built by build/scripts/docker-test-image.sh: static busybox,
// an applet link per command, /tmp, /workspace and a nobody user.
const testImage = "corral-test/busybox:latest"

// engineErr is why the engine cannot be used, found once by TestMain.
var engineErr error

func TestMain(m *testing.M) {
	if ws := os.Getenv(execHelperEnv); ws != "" {
		os.Exit(execHelper(ws))
	}
	engineErr = prepareEngine()
	code := m.Run()
	if engineErr == nil {
		sweepTestContainers()
	}
	os.Exit(code)
}

// prepareEngine checks that the engine answers and builds the test image if
// it is missing.
func prepareEngine() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return err
	}
	if _, err := cli.ImageInspect(ctx, testImage); err == nil {
		return nil
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "..", "build", "scripts", "docker-test-image.sh")
	out, err := exec.Command(script).CombinedOutput()
	if err != nil {
		return fmt.Errorf("build test image with %s: %v\n%s", script, err, out)
	}
	return nil
}

// sweepTestContainers removes what a failed test may have left: containers
// labelled as made by this test process.
func sweepTestContainers() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return
	}
	defer cli.Close()
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", fmt.Sprintf("%s=%d", LabelPID, os.Getpid())),
	})
	if err != nil {
		return
	}
	for _, c := range res.Items {
		_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
}

// needEngine fails t unless the Docker engine is usable; with
// CORRAL_SKIP_DOCKER=1 it skips instead. CI always has an engine.
func needEngine(t testing.TB) {
	t.Helper()
	if engineErr == nil {
		return
	}
	if os.Getenv("CORRAL_SKIP_DOCKER") == "1" {
		t.Skipf("Docker engine unusable (CORRAL_SKIP_DOCKER=1): %v", engineErr)
	}
	t.Fatalf("Docker engine unusable: %v\nStart one (make docker-deps) or set CORRAL_SKIP_DOCKER=1 to skip the Docker sandbox tests.", engineErr)
}

// newManager returns a Manager closed when t ends.
func newManager(t testing.TB, opts Options) *Manager {
	t.Helper()
	needEngine(t)
	m, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Manager.Close() = %v", err)
		}
	})
	return m
}

// testConfig is a Config on the test image with small limits.
func testConfig() Config {
	return Config{Image: testImage, Memory: 256 << 20, CPUs: 1, PidsLimit: 128, TmpSize: 64 << 20}
}
