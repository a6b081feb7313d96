package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/claudeflare/claudeflare/core/clock"
	"net/http"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/claudeflare/claudeflare/core/account"
)

var (
	// ErrNotFound: no account has that id or name.
	ErrNotFound = errors.New("no such account")
	// ErrNameTaken: another account already has that name, ignoring case (names.go).
	ErrNameTaken = errors.New("account name already taken")
	// ErrInvalid: the account or change breaks a rule of docs/DESIGN.md, "Account names" (name,
	// priority, kind); the message says which. Nothing was written.
	ErrInvalid = errors.New("invalid account")
)

const accountColumns = `id, name, kind, mode, priority, paused, created_at, cred_version, needs_login,
	rate_limited_until, cooldown_until, session_start, session_requests, total_requests, last_used,
	token_expires_at, quota, limit_headers`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(s scanner) (account.Account, error) {
	var a account.Account
	var kind string
	var created, rlu, cdu, ss, lu, tea int64
	var quota, limitHeaders string
	err := s.Scan(&a.ID, &a.Name, &kind, &a.Mode, &a.Priority, &a.Paused, &created, &a.CredVersion, &a.NeedsLogin,
		&rlu, &cdu, &ss, &a.SessionRequests, &a.TotalRequests, &lu, &tea, &quota, &limitHeaders)
	if err != nil {
		return account.Account{}, err
	}
	a.Quota, a.LimitHeaders = decodeQuota(quota), decodeHeaders(limitHeaders)
	a.Kind = account.Kind(kind)
	a.CreatedAt, a.RateLimitedUntil, a.CooldownUntil = fromMillis(created), fromMillis(rlu), fromMillis(cdu)
	a.SessionStart, a.LastUsed, a.TokenExpiresAt = fromMillis(ss), fromMillis(lu), fromMillis(tea)
	return a, nil
}

// Accounts returns every account, ordered by priority, then creation time
// (then insertion order, for equal times).
func (db *DB) Accounts(ctx context.Context) ([]account.Account, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY priority, created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("reading accounts: %w", err)
	}
	defer rows.Close()
	var list []account.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("reading accounts: %w", err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading accounts: %w", err)
	}
	return list, nil
}

// AccountByName returns the account with exactly that name, or ErrNotFound.
func (db *DB) AccountByName(ctx context.Context, name string) (account.Account, error) {
	a, err := scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return account.Account{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return account.Account{}, fmt.Errorf("reading account %q: %w", name, err)
	}
	return a, nil
}

// InsertAccount adds an account with its settings and runtime state. A zero
// CreatedAt is set to now. It fails with ErrNameTaken when the name is in
// use (ignoring case), with ErrInvalid when the id is empty or the name,
// priority or kind is not allowed.
func (db *DB) InsertAccount(ctx context.Context, a account.Account) error {
	if err := validateAccount(a); err != nil {
		return err
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = clock.Real()
	}
	err := db.writeNamed(ctx, a.Name, "", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (`+accountColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Name, string(a.Kind), a.Mode, a.Priority, a.Paused, millis(a.CreatedAt), a.CredVersion, a.NeedsLogin,
			millis(a.RateLimitedUntil), millis(a.CooldownUntil), millis(a.SessionStart), a.SessionRequests, a.TotalRequests,
			millis(a.LastUsed), millis(a.TokenExpiresAt), encodeQuota(a.Quota), encodeHeaders(a.LimitHeaders))
		return err
	})
	if err != nil {
		return fmt.Errorf("adding account %q: %w", a.Name, accountError(err, a.Name))
	}
	return nil
}

func validateAccount(a account.Account) error {
	if a.ID == "" {
		return fmt.Errorf("%w: empty id", ErrInvalid)
	}
	if a.Kind != account.KindOAuth && a.Kind != account.KindAPIKey {
		return fmt.Errorf("%w: unknown kind %q", ErrInvalid, a.Kind)
	}
	if err := account.ValidateName(a.Name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := account.ValidatePriority(a.Priority); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// accountError turns a unique-name violation into ErrNameTaken.
func accountError(err error, name string) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(se.Error(), "accounts.name") {
		return fmt.Errorf("%w: %q", ErrNameTaken, name)
	}
	return err
}

// AccountSettings is a change of an account's settings: nil fields are left
// as they are.
type AccountSettings struct {
	Name       *string
	Priority   *int
	Paused     *bool
	NeedsLogin *bool
	// BumpCredVersion marks a new secret (a new login): CredVersion goes up
	// by one, so a running proxy reloads the credential.
	BumpCredVersion bool
}

// UpdateAccountSettings applies s to the account with that id and returns
// the account as stored afterwards. It fails with ErrNotFound, ErrNameTaken
// or ErrInvalid, and then changes nothing.
func (db *DB) UpdateAccountSettings(ctx context.Context, id string, s AccountSettings) (account.Account, error) {
	var sets []string
	var args []any
	if s.Name != nil {
		if err := account.ValidateName(*s.Name); err != nil {
			return account.Account{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		sets, args = append(sets, "name = ?"), append(args, *s.Name)
	}
	if s.Priority != nil {
		if err := account.ValidatePriority(*s.Priority); err != nil {
			return account.Account{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		sets, args = append(sets, "priority = ?"), append(args, *s.Priority)
	}
	if s.Paused != nil {
		sets, args = append(sets, "paused = ?"), append(args, *s.Paused)
	}
	if s.NeedsLogin != nil {
		sets, args = append(sets, "needs_login = ?"), append(args, *s.NeedsLogin)
	}
	if s.BumpCredVersion {
		sets = append(sets, "cred_version = cred_version + 1")
	}

	var a account.Account
	var err error
	update := `UPDATE accounts SET ` + strings.Join(sets, ", ") + ` WHERE id = ? RETURNING ` + accountColumns
	switch {
	case len(sets) == 0:
		a, err = scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	case s.Name != nil: // the new name is checked in the update's transaction
		err = db.writeNamed(ctx, *s.Name, id, func(tx *sql.Tx) (werr error) {
			a, werr = scanAccount(tx.QueryRowContext(ctx, update, append(args, id)...))
			return werr
		})
	default:
		a, err = scanAccount(db.w.QueryRowContext(ctx, update, append(args, id)...))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return account.Account{}, fmt.Errorf("%w: id %s", ErrNotFound, id)
	}
	if errors.Is(err, ErrNameTaken) {
		return account.Account{}, err // it names the account that has the name
	}
	if err != nil {
		name := ""
		if s.Name != nil {
			name = *s.Name
		}
		return account.Account{}, fmt.Errorf("updating account %s: %w", id, accountError(err, name))
	}
	return a, nil
}

// DeleteAccount removes the account with that id, or fails with ErrNotFound.
// Its request rows and events stay, with the account's name.
func (db *DB) DeleteAccount(ctx context.Context, id string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("removing account %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("removing account %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: id %s", ErrNotFound, id)
	}
	return nil
}

// AccountState is an account's runtime state, as the proxy keeps it. Writing
// one (through Write or a Writer) updates those columns only; settings are
// never touched. An id with no account is ignored.
type AccountState struct {
	ID               string
	SessionStart     time.Time
	RateLimitedUntil time.Time
	CooldownUntil    time.Time
	LastUsed         time.Time
	TokenExpiresAt   time.Time
	SessionRequests  int64
	TotalRequests    int64
	NeedsLogin       bool
	Quota            account.Quota
	LimitHeaders     http.Header
}

func (AccountState) isRecord() {}

const accountStateSQL = `UPDATE accounts SET session_start = ?, rate_limited_until = ?, cooldown_until = ?,
	last_used = ?, token_expires_at = ?, session_requests = ?, total_requests = ?, needs_login = ?, quota = ?,
	limit_headers = ? WHERE id = ?`

func accountStateArgs(s *AccountState) []any {
	return []any{millis(s.SessionStart), millis(s.RateLimitedUntil), millis(s.CooldownUntil),
		millis(s.LastUsed), millis(s.TokenExpiresAt), s.SessionRequests, s.TotalRequests, s.NeedsLogin,
		encodeQuota(s.Quota), encodeHeaders(s.LimitHeaders), s.ID}
}
