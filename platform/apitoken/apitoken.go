// Package apitoken keeps the local API token (docs/DESIGN.md, "The local
// API token"): the secret every /api/ request and /metrics must carry as
// Authorization: Bearer, so that only the user who can read the home
// folder can steer Claudeflare through its loopback API. It is 32 random
// bytes, base64url, in api-token in the home folder, mode 0600.
package apitoken

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/platform/atomicfile"
	"github.com/claudeflare/claudeflare/platform/lock"
)

// FileName is the token's file in the home folder.
const FileName = "api-token"

// Path is the token's file in home.
func Path(home string) string { return filepath.Join(home, FileName) }

// lockWait bounds the wait for another process making the token.
const lockWait = 10 * time.Second

// encodedLen is the length of 32 bytes in unpadded base64url.
var encodedLen = base64.RawURLEncoding.EncodedLen(32)

// Ensure returns the token in home, making it first when there is none (or
// what is there is not a token). It is made under api-token.lock, so two
// processes starting at once agree on one, and written atomically (a
// temporary file, fsync, rename), mode 0600 whatever the umask.
func Ensure(ctx context.Context, home string) (string, error) {
	if tok, err := Read(home); err == nil {
		return tok, nil
	}
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	release, err := lock.Exclusive(ctx, Path(home)+".lock")
	if err != nil {
		return "", fmt.Errorf("making the local API token: %w", err)
	}
	defer release()
	if tok, err := Read(home); err == nil { // made by another process meanwhile
		return tok, nil
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	tok := base64.RawURLEncoding.EncodeToString(b)
	if err := atomicfile.WriteFile(Path(home), []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("making the local API token: %w", err)
	}
	return tok, nil
}

// ErrNoToken: home holds no token (nothing has started there yet), or not
// one of the shape Ensure makes.
var ErrNoToken = errors.New("no local API token")

// Read returns the token in home without making one.
func Read(home string) (string, error) {
	b, err := os.ReadFile(Path(home))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w in %s", ErrNoToken, Path(home))
	}
	if err != nil {
		return "", fmt.Errorf("reading the local API token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if !valid(tok) {
		return "", fmt.Errorf("%w in %s: it does not hold one", ErrNoToken, Path(home))
	}
	return tok, nil
}

// valid: 32 bytes of unpadded base64url, as Ensure makes them.
func valid(tok string) bool {
	if len(tok) != encodedLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(tok)
	return err == nil
}
