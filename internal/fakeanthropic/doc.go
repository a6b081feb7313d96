// Package fakeanthropic is a fake of Anthropic's API, run on loopback, that stands in for
// api.anthropic.com, claude.ai and platform.claude.com in Claudeflare's tests.
//
// It serves, under one base URL ([Server.URL]):
//
//   - POST /v1/messages (with or without ?beta=true), streaming or not;
//   - POST /v1/messages/count_tokens and GET /v1/models (and /v1/models/{id});
//   - GET /oauth/authorize, the browser side of the OAuth login (it approves at once);
//   - POST /v1/oauth/token, the token endpoint (authorization_code and refresh_token grants);
//   - POST /api/oauth/claude_cli/create_api_key, which turns an access token into an API key.
//
// Credentials are checked as the real API does: an x-api-key must have been added with
// [Server.AddAPIKey] (or made by create_api_key); a Bearer token must be a known, unexpired
// access token and the request's anthropic-beta list must contain [OAuthBeta].
//
// Answers are deterministic so tests can assert exact figures ([UsageFor]): input_tokens is
// len(body)/4 (at least 1), cache_creation_input_tokens 7, cache_read_input_tokens 5,
// output_tokens 12 (1 in a stream's message_start, 12 in its message_delta, whose usage repeats
// all four fields cumulatively). A Message's text is [ReplyText]; a stream's deltas together
// are [StreamText], each delta carrying "fake_sent_unix_nano", the server's send time. Per-credential overrides ([Server.SetBehavior]) produce rate limits, overloads,
// hangs, resets and broken streams. Every request is recorded ([Server.Requests]).
//
// All methods are safe for concurrent use.
package fakeanthropic
