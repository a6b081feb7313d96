package fakeanthropic_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// A test makes one account rate-limited and checks what a client sees.
func Example() {
	s := fakeanthropic.New(fakeanthropic.Options{})
	defer s.Close()
	access, _ := s.IssueTokens()
	s.SetBehavior(access, fakeanthropic.Behavior{
		Status:         http.StatusTooManyRequests,
		RateLimitReset: time.Unix(1_900_000_000, 0),
		Times:          1,
	})

	body := `{"model":"claude-sonnet-4-5-20250929","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`
	for range 2 {
		req, _ := http.NewRequest("POST", s.URL+"/v1/messages?beta=true", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+access)
		req.Header.Set("anthropic-beta", "claude-code-20250219,"+fakeanthropic.OAuthBeta)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("anthropic-ratelimit-unified-status"))
	}
	fmt.Println(s.Requests()[0].Credential == access)
	fmt.Printf("%+v\n", fakeanthropic.UsageFor([]byte(body)))
	// Output:
	// 429 rejected
	// 200 allowed
	// true
	// {InputTokens:24 CacheCreationInputTokens:7 CacheReadInputTokens:5 OutputTokens:12}
}
