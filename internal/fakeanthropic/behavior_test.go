package fakeanthropic

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/testkit"
)

func TestBehaviorStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		b          Behavior
		wantStatus int
		wantType   string
		wantRetry  bool
	}{
		{"rate limited", Behavior{Status: 429}, 429, "rate_limit_error", true},
		{"overloaded", Behavior{Status: 529}, 529, "overloaded_error", true},
		{"server error", Behavior{Status: 500}, 500, "api_error", true},
		{"forbidden", Behavior{Status: 403}, 403, "permission_error", false},
		{"unauthorized", Behavior{Status: 401}, 401, "authentication_error", false},
		{"bad request", Behavior{Status: 400, Message: "custom"}, 400, "invalid_request_error", false},
		{"2xx status is normal", Behavior{Status: 200}, 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, Options{})
			s.AddAPIKey("k")
			s.SetBehavior("k", tt.b)
			// Even a streaming request gets a plain JSON error before the stream.
			resp, data := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), streamBody)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantType == "" {
				return
			}
			typ, msg := apiErr(t, data)
			if typ != tt.wantType || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("type %q (Content-Type %q), want %q as JSON", typ, resp.Header.Get("Content-Type"), tt.wantType)
			}
			if tt.b.Message != "" && msg != tt.b.Message {
				t.Errorf("message %q, want %q", msg, tt.b.Message)
			}
			if got := resp.Header.Get("x-should-retry") == "true"; got != tt.wantRetry {
				t.Errorf("x-should-retry = %v, want %v", got, tt.wantRetry)
			}
		})
	}
}

func TestBehaviorPerCredentialAndReset(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("a")
	s.AddAPIKey("b")
	s.SetBehavior("a", Behavior{Status: 529})
	status := func(key string) int {
		resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth(key), msgBody)
		return resp.StatusCode
	}
	if status("a") != 529 || status("b") != 200 {
		t.Fatal("behaviour did not apply to its credential only")
	}
	s.SetBehavior("a", Behavior{})
	if got := status("a"); got != 200 {
		t.Errorf("after Behavior{}: %d, want 200", got)
	}
}

func TestBehaviorTimes(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	s.SetBehavior("k", Behavior{Status: 429, Times: 2})
	var got []int
	for range 4 {
		resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody)
		got = append(got, resp.StatusCode)
	}
	if want := []int{429, 429, 200, 200}; !equalInts(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHangBeforeHeaders(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	s.SetBehavior("k", Behavior{HangBeforeHeaders: true})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	resp, err := send(ctx, "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer (%d), want the client to give up", resp.StatusCode)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Errorf("gave up after %v, before the client's deadline", time.Since(start))
	}
	reqs := s.Requests()
	if len(reqs) != 1 || reqs[0].Status != 0 {
		t.Errorf("requests = %+v, want one with status 0", reqs)
	}
	waitInFlight(t, s, 0) // the hung handler ends once the client has gone
}

// TestInFlightCountsHungRequests: InFlight counts a request while it hangs.
func TestInFlightCountsHungRequests(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	s.SetBehavior("k", Behavior{HangBeforeHeaders: true})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := send(ctx, "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody); err == nil {
			resp.Body.Close()
		}
	}()
	waitInFlight(t, s, 1)
	cancel()
	<-done
	waitInFlight(t, s, 0)
}

func waitInFlight(t *testing.T, s *Server, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.InFlight() != want {
		if time.Now().After(deadline) {
			t.Fatalf("InFlight = %d, want %d", s.InFlight(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseEndsHungRequests(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	s.AddAPIKey("k")
	s.SetBehavior("k", Behavior{HangBeforeHeaders: true})
	errc := make(chan error, 1)
	go func() {
		resp, err := send(context.Background(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	testkit.WaitFor(t, "the request to arrive", func() bool { return len(s.Requests()) == 1 })
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close blocked on a hung request")
	}
	<-errc
	s.Close() // a second Close is harmless
}

func TestResetConnection(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	s.SetBehavior("k", Behavior{ResetConnection: true})
	resp, err := send(t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer (%d), want a connection error", resp.StatusCode)
	}
}

func TestBehaviorDelay(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("k")
	s.SetBehavior("k", Behavior{Delay: 50 * time.Millisecond, Status: http.StatusTooManyRequests})
	start := time.Now()
	resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("k"), msgBody)
	if resp.StatusCode != 429 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("status %d after %v, want 429 after at least 50ms", resp.StatusCode, time.Since(start))
	}
}

func TestBehaviorNeedsValidCredential(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.SetBehavior("unknown", Behavior{Status: 529})
	resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth("unknown"), msgBody)
	if resp.StatusCode != 401 {
		t.Errorf("status %d, want 401: authentication comes before behaviours", resp.StatusCode)
	}
}
