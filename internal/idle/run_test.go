package idle

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// standInEnv makes the test binary play a Claudeflare for Run: the API
// token, /health, POST /api/accounts (wanting the token), /v1/messages.
const standInEnv = "CLAUDEFLARE_IDLE_STAND_IN"

func TestStandIn(t *testing.T) {
	if os.Getenv(standInEnv) == "" {
		t.Skip("the stand-in app for TestRun")
	}
	home := os.Getenv("CLAUDEFLARE_HOME")
	var cfg struct{ Port int }
	b, _ := os.ReadFile(filepath.Join(home, "config.json"))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "api-token"), []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /api/accounts", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	srv := &http.Server{Addr: "127.0.0.1:" + strconv.Itoa(cfg.Port), Handler: mux}
	go func() { _ = srv.ListenAndServe() }()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	_ = srv.Close()
}

// TestRun measures the stand-in end to end: the steps run and the report
// describes a live process.
func TestRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	t.Setenv(standInEnv, "1")
	var out strings.Builder
	r, err := Run(context.Background(), Options{
		Command: []string{os.Args[0], "-test.run=^TestStandIn$"},
		Settle:  10 * time.Millisecond, Window: 300 * time.Millisecond, Out: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Threads < 1 || r.RSSMB <= 0 || r.Window < 300*time.Millisecond || r.WakeupsPerSec < 0 {
		t.Errorf("report %+v", r)
	}
	for _, want := range []string{"measuring", "one account added, one request answered", "wake-ups", "RSS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
}
