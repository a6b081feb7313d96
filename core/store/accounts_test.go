package store

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

func ptr[T any](v T) *T { return &v }

func mustAccounts(t *testing.T, db *DB) []account.Account {
	t.Helper()
	list, err := db.Accounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func names(list []account.Account) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Name)
	}
	return out
}

func TestAccountRoundTripAndOrder(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ctx := t.Context()

	full := account.Account{
		ID: "id-full", Name: "full user@example.com", Kind: account.KindAPIKey, Priority: 5, Paused: true,
		CreatedAt: base, CredVersion: 3, NeedsLogin: true,
		RateLimitedUntil: base.Add(time.Hour), CooldownUntil: base.Add(30 * time.Second),
		SessionStart: base.Add(-time.Hour), SessionRequests: 7, TotalRequests: 99,
		LastUsed: base.Add(-time.Minute), TokenExpiresAt: base.Add(8 * time.Hour),
		Quota: account.Quota{
			account.WindowFiveHour: {Utilization: 0.42, ResetsAt: base.Add(2 * time.Hour), Status: "allowed", Announced: 0},
			account.WindowSevenDay: {Utilization: 0.97, ResetsAt: base.Add(72 * time.Hour), Status: "allowed_warning", Announced: 0.95},
			"7d_oi":                {Utilization: 0.63, Status: "allowed"},
		},
		LimitHeaders: http.Header{"Anthropic-Ratelimit-Unified-Status": {"rejected"}, "Anthropic-Ratelimit-Unified-Reset": {"1795651200"}},
	}
	for _, a := range []account.Account{
		testAccount("id-c", "c", 0, base.Add(2*time.Second)),
		full,
		testAccount("id-a", "a", 0, base),
		testAccount("id-b", "b", 0, base.Add(time.Second)),
		testAccount("id-z", "z", 100, base.Add(-time.Hour)),
	} {
		if err := db.InsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	list := mustAccounts(t, db)
	if got, want := names(list), []string{"a", "b", "c", "full user@example.com", "z"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	got, err := db.AccountByName(ctx, full.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, full) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, full)
	}
	// Zero times stay zero.
	a, _ := db.AccountByName(ctx, "a")
	if !a.SessionStart.IsZero() || !a.RateLimitedUntil.IsZero() || !a.TokenExpiresAt.IsZero() || a.Quota != nil || a.LimitHeaders != nil {
		t.Errorf("fresh account %+v", a)
	}
}

func TestInsertAccountCreatedAtDefault(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	before := time.Now().Truncate(time.Millisecond)
	if err := db.InsertAccount(t.Context(), testAccount("id", "n", 0, time.Time{})); err != nil {
		t.Fatal(err)
	}
	a, _ := db.AccountByName(t.Context(), "n")
	if a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now()) {
		t.Errorf("CreatedAt %v, want about now", a.CreatedAt)
	}
}

func TestInsertAccountErrorsChangeNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		a       account.Account
		wantErr error // nil: any error
	}{
		{"taken name", testAccount("id-2", "alice", 0, base), ErrNameTaken},
		{"taken id", testAccount("id-1", "bob", 0, base), nil},
		{"empty id", testAccount("", "bob", 0, base), ErrInvalid},
		{"bad name", testAccount("id-2", "bob/../x", 0, base), ErrInvalid},
		{"empty name", testAccount("id-2", "", 0, base), ErrInvalid},
		{"bad priority", testAccount("id-2", "bob", 101, base), ErrInvalid},
		{"bad kind", account.Account{ID: "id-2", Name: "bob", Kind: "password"}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			if err := db.InsertAccount(t.Context(), testAccount("id-1", "alice", 0, base)); err != nil {
				t.Fatal(err)
			}
			before := mustAccounts(t, db)
			err := db.InsertAccount(t.Context(), tt.a)
			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("InsertAccount = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && (errors.Is(err, ErrNameTaken) || errors.Is(err, ErrInvalid)) {
				t.Errorf("a duplicate id is reported as %v", err)
			}
			if after := mustAccounts(t, db); !reflect.DeepEqual(after, before) {
				t.Errorf("accounts changed: %v", after)
			}
		})
	}
}

func TestUpdateAccountSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		id      string
		s       AccountSettings
		want    func(a *account.Account) // applied to alice as seeded
		wantErr error
	}{
		{name: "nothing", id: "id-1", want: func(*account.Account) {}},
		{name: "rename", id: "id-1", s: AccountSettings{Name: ptr("alicia")},
			want: func(a *account.Account) { a.Name = "alicia" }},
		{name: "same name", id: "id-1", s: AccountSettings{Name: ptr("alice")}, want: func(*account.Account) {}},
		{name: "every field", id: "id-1",
			s: AccountSettings{Name: ptr("al"), Priority: ptr(7), Paused: ptr(true), NeedsLogin: ptr(true), BumpCredVersion: true},
			want: func(a *account.Account) {
				a.Name, a.Priority, a.Paused, a.NeedsLogin, a.CredVersion = "al", 7, true, true, 1
			}},
		{name: "new login", id: "id-1", s: AccountSettings{NeedsLogin: ptr(false), BumpCredVersion: true},
			want: func(a *account.Account) { a.CredVersion = 1 }},
		{name: "unknown id", id: "id-9", s: AccountSettings{Paused: ptr(true)}, wantErr: ErrNotFound},
		{name: "unknown id, no change", id: "id-9", wantErr: ErrNotFound},
		{name: "taken name", id: "id-1", s: AccountSettings{Name: ptr("bob"), Priority: ptr(9)}, wantErr: ErrNameTaken},
		{name: "bad name", id: "id-1", s: AccountSettings{Name: ptr("a\nb"), Paused: ptr(true)}, wantErr: ErrInvalid},
		{name: "bad priority", id: "id-1", s: AccountSettings{Priority: ptr(-1)}, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			ctx := t.Context()
			alice := testAccount("id-1", "alice", 0, base)
			for _, a := range []account.Account{alice, testAccount("id-2", "bob", 1, base)} {
				if err := db.InsertAccount(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			before := mustAccounts(t, db)

			got, err := db.UpdateAccountSettings(ctx, tt.id, tt.s)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				if after := mustAccounts(t, db); !reflect.DeepEqual(after, before) {
					t.Errorf("a failed update changed the accounts: %v", after)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				want := alice
				tt.want(&want)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("returned\n %+v\nwant %+v", got, want)
				}
				stored, err := db.AccountByName(ctx, want.Name)
				if err != nil || !reflect.DeepEqual(stored, want) {
					t.Errorf("stored %+v, %v", stored, err)
				}
			}
		})
	}
}

func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ctx := t.Context()
	for _, a := range []account.Account{testAccount("id-1", "alice", 0, base), testAccount("id-2", "bob", 0, base)} {
		if err := db.InsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	row := RequestRow{ID: "r1", Start: base, Method: "POST", Path: "/v1/messages", AccountID: "id-1", AccountName: "alice", Status: 200}
	if err := db.Write(ctx, []Record{row}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount(ctx, "id-1"); err != nil {
		t.Fatal(err)
	}
	if got := names(mustAccounts(t, db)); !reflect.DeepEqual(got, []string{"bob"}) {
		t.Errorf("accounts after delete: %v", got)
	}
	if _, err := db.AccountByName(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("AccountByName after delete: %v", err)
	}
	if err := db.DeleteAccount(ctx, "id-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	reqs, err := db.LatestRequests(ctx, 10)
	if err != nil || len(reqs) != 1 || reqs[0].AccountName != "alice" {
		t.Errorf("request rows after delete: %+v, %v", reqs, err)
	}
	// The name is free again.
	if err := db.InsertAccount(ctx, testAccount("id-3", "alice", 0, base)); err != nil {
		t.Errorf("reusing a deleted name: %v", err)
	}
}

// An account inserted through another connection (another process) is
// read by the first.
func TestAccountsAcrossConnections(t *testing.T) {
	t.Parallel()
	app := newTestDB(t)
	cli, err := Open(app.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if err := cli.InsertAccount(t.Context(), testAccount("id-1", "alice", 0, base)); err != nil {
		t.Fatal(err)
	}
	if got := names(mustAccounts(t, app)); !reflect.DeepEqual(got, []string{"alice"}) {
		t.Errorf("the app sees accounts %v", got)
	}
}

func TestAccountStateRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		state AccountState
	}{
		{"everything set", AccountState{ID: "id-1", SessionStart: base, RateLimitedUntil: base.Add(time.Hour),
			CooldownUntil: base.Add(30 * time.Second), LastUsed: base.Add(time.Minute), TokenExpiresAt: base.Add(8 * time.Hour),
			SessionRequests: 12, TotalRequests: 345, NeedsLogin: true,
			Quota:        account.Quota{account.WindowFiveHour: {Utilization: 0.875, ResetsAt: base.Add(time.Hour), Status: "allowed_warning", Announced: 0.8}},
			LimitHeaders: http.Header{"Anthropic-Ratelimit-Unified-Representative-Claim": {"five_hour"}}}},
		{"zero times clear earlier ones", AccountState{ID: "id-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			ctx := t.Context()
			seeded := testAccount("id-1", "alice", 4, base)
			seeded.Paused, seeded.CredVersion = true, 2
			seeded.SessionStart, seeded.RateLimitedUntil, seeded.CooldownUntil = base, base, base
			seeded.LastUsed, seeded.TokenExpiresAt, seeded.TotalRequests = base, base, 5
			seeded.Quota = account.Quota{account.WindowFiveHour: {Utilization: 0.5, Status: "allowed"}}
			if err := db.InsertAccount(ctx, seeded); err != nil {
				t.Fatal(err)
			}
			if err := db.Write(ctx, []Record{tt.state, AccountState{ID: "no-such-id", TotalRequests: 1}}); err != nil {
				t.Fatal(err)
			}
			got, err := db.AccountByName(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			s := tt.state
			want := seeded // settings untouched
			want.SessionStart, want.RateLimitedUntil, want.CooldownUntil = s.SessionStart, s.RateLimitedUntil, s.CooldownUntil
			want.LastUsed, want.TokenExpiresAt = s.LastUsed, s.TokenExpiresAt
			want.SessionRequests, want.TotalRequests, want.NeedsLogin = s.SessionRequests, s.TotalRequests, s.NeedsLogin
			want.Quota, want.LimitHeaders = s.Quota, s.LimitHeaders
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n %+v\nwant %+v", got, want)
			}
			if n := len(mustAccounts(t, db)); n != 1 {
				t.Errorf("an unknown id created an account: %d accounts", n)
			}
		})
	}
}

func TestAccountByNameIsExact(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	if err := db.InsertAccount(t.Context(), testAccount("id-1", "Alice", 0, base)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "Alice ", ""} {
		if _, err := db.AccountByName(t.Context(), name); !errors.Is(err, ErrNotFound) {
			t.Errorf("AccountByName(%q) = %v, want ErrNotFound", name, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := db.AccountByName(ctx, "Alice"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("a cancelled lookup returned %v", err)
	}
}
