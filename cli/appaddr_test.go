package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestClientURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://0.0.0.0:8080", "http://127.0.0.1:8080"},
		{"http://[::]:8080", "http://[::1]:8080"},
		{"http://[::1]:9090", "http://[::1]:9090"},
		{"http://192.168.1.5:8080", "http://192.168.1.5:8080"},
	}
	for _, tt := range tests {
		if got := clientURL(tt.in); got != tt.want {
			t.Errorf("clientURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsClaudeflare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"health", 200, `{"status":"ok","strategy":"session","accounts":0,"available":0,"version":"x"}`, true},
		{"remote use wants the client key", 401, `{"error":"missing client key"}`, true},
		{"another server's health", 200, `{"status":"ok"}`, false},
		{"not JSON", 200, `ok`, false},
		{"not found", 404, `{"error":"not found"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if got := isClaudeflare(ctx, srv.URL); got != tt.want {
				t.Errorf("isClaudeflare = %v, want %v", got, tt.want)
			}
		})
	}
}
