package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
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
	eventually(t, 5*time.Second, "request row in /api/requests", func() error {
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
