package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// sdkClient is the official Go SDK pointed at the proxy with a dummy key. It
// never retries, so every answer the test sees is the proxy's first.
func (in *instance) sdkClient() anthropic.Client {
	return anthropic.NewClient(
		option.WithBaseURL(in.URL()),
		option.WithAPIKey(clientKey),
		option.WithMaxRetries(0),
	)
}

func sdkParams() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     anthropic.Model("claude-sonnet-4-5-20250929"),
		MaxTokens: 64,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hi"))},
	}
}

// twoAccounts starts serve with API-key accounts a and b (equal priority, a
// created first).
func twoAccounts(t *testing.T) *instance {
	t.Helper()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	sb.addAccount(t, "b")
	return sb.serve(t)
}

// waitForRow polls GET /api/requests until a row for account with status
// appears (rows are written asynchronously) and returns the newest one.
func (in *instance) waitForRow(t *testing.T, account string, status int) requestJSON {
	t.Helper()
	var row requestJSON
	testkit.Eventually(t, 5*time.Second, "request row in /api/requests", func() error {
		var rows []requestJSON
		in.getJSON(t, "/api/requests?limit=50", &rows)
		for _, r := range rows { // newest first
			if r.Account == account && r.Status == status {
				row = r
				return nil
			}
		}
		return fmt.Errorf("no row for account %q with status %d in %+v", account, status, rows)
	})
	return row
}

// checkUsageRow compares a request row with the usage the fake reported for body.
func checkUsageRow(t *testing.T, row requestJSON, body []byte, streamed bool) {
	t.Helper()
	want := fakeanthropic.UsageFor(body)
	if row.InputTokens != want.InputTokens || row.OutputTokens != want.OutputTokens ||
		row.CacheReadTokens != want.CacheReadInputTokens || row.CacheCreationTokens != want.CacheCreationInputTokens {
		t.Errorf("row usage = in %d, out %d, cache read %d, cache creation %d; the fake reported in %d, out %d, cache read %d, cache creation %d",
			row.InputTokens, row.OutputTokens, row.CacheReadTokens, row.CacheCreationTokens,
			want.InputTokens, want.OutputTokens, want.CacheReadInputTokens, want.CacheCreationInputTokens)
	}
	if row.Model != "claude-sonnet-4-5-20250929" {
		t.Errorf("row model = %q, want claude-sonnet-4-5-20250929", row.Model)
	}
	if row.Streamed != streamed {
		t.Errorf("row streamed = %v, want %v", row.Streamed, streamed)
	}
	if row.Path != "/v1/messages" {
		t.Errorf("row path = %q, want /v1/messages", row.Path)
	}
}

// TestSDKMessage sends a non-streaming message with the official SDK.
func TestSDKMessage(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	client := in.sdkClient()

	var resp *http.Response
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	msg, err := client.Messages.New(ctx, sdkParams(), option.WithResponseInto(&resp))
	if err != nil {
		t.Fatalf("Messages.New through the proxy: %v", err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != fakeanthropic.ReplyText {
		t.Fatalf("answer content = %+v, want the fake's %q", msg.Content, fakeanthropic.ReplyText)
	}
	if got := resp.Header.Get("x-claudeflare-account"); got != "a" {
		t.Errorf("x-claudeflare-account = %q, want a", got)
	}

	seen := seenMessages(in.Fake)
	if len(seen) != 1 {
		t.Fatalf("the fake saw %d /v1/messages requests, want 1", len(seen))
	}
	if seen[0].Credential != in.Keys["a"] {
		t.Errorf("the fake saw credential %q, want account a's key", seen[0].Credential)
	}
	if seen[0].Status != http.StatusOK {
		t.Errorf("the fake answered %d, want 200", seen[0].Status)
	}
	checkClientKeyNeverForwarded(t, in.Fake)
	if msg.Usage.InputTokens != int64(fakeanthropic.InputTokens(seen[0].Body)) ||
		msg.Usage.OutputTokens != fakeanthropic.OutputTokens {
		t.Errorf("the client's usage = %+v, want the fake's", msg.Usage)
	}

	row := in.waitForRow(t, "a", http.StatusOK)
	checkUsageRow(t, row, seen[0].Body, false)
	if row.Failovers != 0 {
		t.Errorf("row failovers = %d, want 0", row.Failovers)
	}
}

// TestSDKStreaming streams a message with the official SDK.
func TestSDKStreaming(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	client := in.sdkClient()

	var resp *http.Response
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	stream := client.Messages.NewStreaming(ctx, sdkParams(), option.WithResponseInto(&resp))
	var msg anthropic.Message
	var events []string
	for stream.Next() {
		ev := stream.Current()
		events = append(events, ev.Type)
		if err := msg.Accumulate(ev); err != nil {
			t.Fatalf("accumulating %s: %v", ev.Type, err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream through the proxy: %v", err)
	}
	if err := stream.Close(); err != nil {
		t.Fatalf("closing the stream: %v", err)
	}
	want := fakeanthropic.StreamText(fakeanthropic.DefaultStreamChunks)
	if len(msg.Content) != 1 || msg.Content[0].Text != want {
		t.Fatalf("streamed content = %+v, want %q (events %v)", msg.Content, want, events)
	}
	if events[len(events)-1] != "message_stop" {
		t.Errorf("last event = %q, want message_stop (events %v)", events[len(events)-1], events)
	}
	if resp == nil {
		t.Fatal("no *http.Response captured")
	}
	if got := resp.Header.Get("x-claudeflare-account"); got != "a" {
		t.Errorf("x-claudeflare-account = %q, want a", got)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type = %q, want text/event-stream", ct)
	}

	seen := seenMessages(in.Fake)
	if len(seen) != 1 {
		t.Fatalf("the fake saw %d /v1/messages requests, want 1", len(seen))
	}
	if seen[0].Credential != in.Keys["a"] {
		t.Errorf("the fake saw credential %q, want account a's key", seen[0].Credential)
	}
	checkClientKeyNeverForwarded(t, in.Fake)
	if msg.Usage.OutputTokens != fakeanthropic.OutputTokens {
		t.Errorf("the client's output tokens = %d, want %d", msg.Usage.OutputTokens, fakeanthropic.OutputTokens)
	}

	row := in.waitForRow(t, "a", http.StatusOK)
	// output_tokens must be message_delta's cumulative value (12), not
	// message_start's (1) nor their sum.
	checkUsageRow(t, row, seen[0].Body, true)
}

// TestStreamingIsNotBuffered: SSE events reach the client as the upstream
// sends them, not when the stream ends.
func TestStreamingIsNotBuffered(t *testing.T) {
	t.Parallel()
	const delay = 150 * time.Millisecond
	sb := newSandbox(t, fakeanthropic.Options{EventDelay: delay, StreamChunks: 4})
	sb.addAccount(t, "a")
	in := sb.serve(t)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	client := in.sdkClient()
	stream := client.Messages.NewStreaming(ctx, sdkParams())
	start := time.Now()
	arrived := map[string]time.Duration{}
	var msg anthropic.Message
	for stream.Next() {
		ev := stream.Current()
		if _, ok := arrived[ev.Type]; !ok {
			arrived[ev.Type] = time.Since(start)
		}
		if err := msg.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	end := time.Since(start)
	if got, want := msg.Content[0].Text, fakeanthropic.StreamText(4); got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	// The fake needs 9 × 150 ms after message_start; the first delta must
	// arrive well before the end.
	first := arrived["content_block_delta"]
	if end-first < 4*delay {
		t.Errorf("the first delta arrived at %s and the stream ended at %s: the proxy buffered the stream (events %v)", first, end, arrived)
	}
	if start := arrived["message_start"]; end-start < 7*delay {
		t.Errorf("message_start arrived at %s, the end at %s: the proxy held message_start back", start, end)
	}
}

// TestStreamErrorMidStream: an error event in the middle of a stream reaches
// the client as it is (the stream had started: no failover), and the row says so.
func TestStreamErrorMidStream(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	in.Fake.SetBehavior(in.Keys["a"], fakeanthropic.Behavior{FailMidStream: true, Times: 1})
	r := in.do(t, "POST", "/v1/messages", messagesBody(true),
		"Content-Type", "application/json", "x-api-key", clientKey, "anthropic-version", "2023-06-01")
	if r.Status != 200 || r.Header.Get("x-claudeflare-account") != "a" {
		t.Fatalf("stream with a mid-stream error: %s (account %q), want 200 from a", r, r.Header.Get("x-claudeflare-account"))
	}
	if !strings.Contains(string(r.Body), "event: error") || !strings.Contains(string(r.Body), "overloaded_error") {
		t.Errorf("the client did not get the error event: %s", r.Body)
	}
	row := in.waitForRow(t, "a", 200)
	if !strings.Contains(row.Error, "overloaded_error") {
		t.Errorf("row error = %q, want it to name overloaded_error", row.Error)
	}
	if n := len(seenMessages(in.Fake)); n != 1 {
		t.Errorf("the fake saw %d requests, want 1", n)
	}
	// The stream broke after it started: a is not blamed and keeps the session.
	in.mustServeFrom(t, "a")
}

// TestOtherEndpoints: count_tokens and the model list go through the proxy on
// the session's account too.
func TestOtherEndpoints(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	client := in.sdkClient()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	var resp *http.Response
	count, err := client.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{
		Model:    anthropic.Model("claude-sonnet-4-5-20250929"),
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("How many?"))},
	}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatalf("CountTokens: %v", err)
	}
	if got := resp.Header.Get("x-claudeflare-account"); got != "a" {
		t.Errorf("count_tokens: x-claudeflare-account = %q, want a", got)
	}
	var countSeen *fakeanthropic.Seen
	for _, s := range in.Fake.Requests() {
		if s.Path == "/v1/messages/count_tokens" {
			countSeen = &s
		}
	}
	if countSeen == nil {
		t.Fatal("the fake did not see count_tokens")
	}
	if count.InputTokens != int64(fakeanthropic.InputTokens(countSeen.Body)) || countSeen.Credential != in.Keys["a"] {
		t.Errorf("count_tokens: %d tokens with credential %q", count.InputTokens, countSeen.Credential)
	}

	page, err := client.Models.List(ctx, anthropic.ModelListParams{Limit: anthropic.Int(20)}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatalf("Models.List: %v", err)
	}
	if len(page.Data) != len(fakeanthropic.Models) || page.Data[0].ID != fakeanthropic.Models[0].ID {
		t.Errorf("Models.List = %+v, want the fake's models", page.Data)
	}
	if got := resp.Header.Get("x-claudeflare-account"); got != "a" {
		t.Errorf("models: x-claudeflare-account = %q, want a", got)
	}
	last := in.Fake.Requests()[len(in.Fake.Requests())-1]
	if last.Path != "/v1/models" || last.RawQuery != "limit=20" || last.Credential != in.Keys["a"] {
		t.Errorf("the fake saw %s %s?%s with %q, want GET /v1/models?limit=20 with a's key", last.Method, last.Path, last.RawQuery, last.Credential)
	}

	// A large body sent with Expect: 100-continue (as curl does) goes through whole.
	big, _ := json.Marshal(map[string]any{
		"model": "claude-sonnet-4-5-20250929", "max_tokens": 8,
		"messages": []map[string]string{{"role": "user", "content": strings.Repeat("long prompt ", 200000)}},
	})
	r := in.do(t, "POST", "/v1/messages", big, "Content-Type", "application/json", "x-api-key", clientKey, "Expect", "100-continue")
	if r.Status != 200 || r.Header.Get("x-claudeflare-account") != "a" {
		t.Errorf("a 2 MB body with Expect: 100-continue: %.300s", r)
	}
	if seen := seenMessages(in.Fake); len(seen) == 0 || !bytes.Equal(seen[len(seen)-1].Body, big) {
		t.Errorf("the 2 MB body did not reach upstream whole")
	}
	checkClientKeyNeverForwarded(t, in.Fake)
}
