package core

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/store"
)

// cleanUp removes, at start, what interrupted processes can leave in the
// home folder: secrets whose account is gone (a removal deletes the row
// first, so a crash in between orphans the secret) and temporary
// files of atomic writes killed before their rename. Leftovers are harmless,
// so problems are logged, never fatal.
func (c *Core) cleanUp(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := c.db.Accounts(ctx)
	if err != nil {
		c.log.Warn("start-up clean-up: reading accounts", "err", err)
		return
	}
	warnCaseTwins(c, list)
	if n, err := removeOrphanSecrets(ctx, c.db, c.credStore()); err != nil {
		c.log.Warn("start-up clean-up: removing secrets of removed accounts", "err", err)
	} else if n > 0 {
		c.log.Info("start-up clean-up: removed secrets of accounts that no longer exist", "count", n)
	}
	if n, err := removeTempFiles(ctx, c.opts.Home, c.opts.LockFile, c.opts.Now()); err != nil {
		c.log.Warn("start-up clean-up: removing leftover temporary files", "err", err)
	} else if n > 0 {
		c.log.Info("start-up clean-up: removed temporary files left by an interrupted write", "count", n)
	}
}

// removeOrphanSecrets deletes the secrets whose id is an account id (the
// shape accounts.NewID makes) with no account row. Entries of another shape,
// such as the client key, are never touched. It holds the store's lock
// across the listing, the reading of the rows and the deletions, so an
// account being created in another process (secret first, then its row,
// under the same lock) is never mistaken for an orphan.
//
// Only a store that can list its entries is cleaned: the file store. The OS
// keychain cannot be enumerated through go-keyring, so a secret orphaned
// there (a removal whose secret deletion failed after the row was gone,
// which Service.Remove reports with the id) stays until the user deletes
// the entry "claudeflare"/<id> in the keychain's own tool.
func removeOrphanSecrets(ctx context.Context, db *store.DB, s creds.Store) (int, error) {
	lister, ok := s.(creds.Lister)
	if !ok {
		return 0, nil
	}
	removed := 0
	err := creds.Locked(ctx, s, func(ctx context.Context) error {
		ids, err := lister.IDs(ctx)
		if err != nil {
			return err
		}
		list, err := db.Accounts(ctx) // read inside the lock
		if err != nil {
			return err
		}
		rows := make(map[string]bool, len(list))
		for _, a := range list {
			rows[a.ID] = true
		}
		var errs []error
		for _, id := range ids {
			if !accounts.IsID(id) || rows[id] {
				continue
			}
			if err := s.Delete(ctx, id); err != nil && !errors.Is(err, creds.ErrNotFound) {
				errs = append(errs, err)
				continue
			}
			removed++
		}
		return errors.Join(errs...)
	})
	return removed, err
}

// tempName matches the temporary files of Claudeflare's atomic writes,
// ".config.json.tmp-123456" for config.json (os.CreateTemp's pattern).
var tempName = regexp.MustCompile(`^\.(.+)\.tmp-[0-9]+$`)

// staleTempAge is the age past which a temporary file whose target has no
// lock file is surely a leftover: a write takes milliseconds.
const staleTempAge = 10 * time.Minute

// removeTempFiles removes the leftover temporary files in home. Writers of a
// file with a lock (config.json, credentials.json: FILE.lock beside FILE)
// make their temporary file only while holding that lock, so with the lock
// held any temporary file of theirs is a leftover; other temporary files go
// once they are older than staleTempAge.
func removeTempFiles(ctx context.Context, home string, lock config.Locker, now time.Time) (int, error) {
	entries, err := os.ReadDir(home)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", home, err)
	}
	byTarget := map[string][]fs.DirEntry{}
	for _, e := range entries {
		if m := tempName.FindStringSubmatch(e.Name()); m != nil && e.Type().IsRegular() {
			byTarget[m[1]] = append(byTarget[m[1]], e)
		}
	}
	removed := 0
	var errs []error
	for target, temps := range byTarget {
		lockPath := filepath.Join(home, target+".lock")
		release := func() {}
		locked := false
		if _, err := os.Stat(lockPath); err == nil && lock != nil {
			if release, err = lock(ctx, lockPath); err != nil {
				errs = append(errs, err)
				continue
			}
			locked = true
		}
		for _, e := range temps {
			if !locked {
				info, err := e.Info()
				if err != nil || now.Sub(info.ModTime()) < staleTempAge {
					continue
				}
			}
			if err := os.Remove(filepath.Join(home, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			removed++
		}
		release()
	}
	return removed, errors.Join(errs...)
}

// warnCaseTwins logs accounts whose names differ only in case, which an
// older Claudeflare allowed: they are kept and keep working under their
// exact names, and no new such name is accepted (core/store/names.go).
func warnCaseTwins(c *Core, list []account.Account) {
	seen := map[string][]string{}
	for _, a := range list {
		k := strings.ToLower(a.Name)
		seen[k] = append(seen[k], a.Name)
	}
	for _, names := range seen {
		if len(names) > 1 {
			c.log.Warn("accounts whose names differ only in case: names are now unique ignoring case; "+
				"each still works under its exact name, but consider renaming all but one", "names", strings.Join(names, ", "))
		}
	}
}
