package loadtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGoroutinesFromMetrics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
		want       int
		err        string
	}{
		{"prometheus text", "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 42\ngo_threads 9\n", 200, 42, ""},
		{"missing", "go_threads 9\n", 200, 0, "no go_goroutines"},
		{"malformed", "go_goroutines many\n", 200, 0, `"many"`},
		{"refused", "", http.StatusForbidden, 0, "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer tok" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			n, err := GoroutinesFromMetrics(srv.URL+"/metrics", "tok")
			if tt.err == "" {
				if err != nil || n != tt.want {
					t.Errorf("= %d, %v; want %d", n, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want one mentioning %s", err, tt.err)
			}
		})
	}
}
