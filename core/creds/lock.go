package creds

import "context"

// Locker is a Store that several processes share through one file (the file
// store): changing a secret there re-reads and rewrites the whole file, so
// the store keeps a cross-process lock, which its own methods take for each
// change. A caller that must make several steps atomic against other
// processes (store a secret and insert its account row; list the secrets and
// remove the orphans) holds the lock across them with Locked.
//
// The OS keychain keeps one entry per account and has no such lock: each of
// its calls is atomic on its own, and Locked simply runs the steps.
type Locker interface {
	// LockStore waits for the store's lock (ctx bounds the wait) and returns
	// a context under which this store's methods run without taking the lock
	// again, and the function that releases it.
	LockStore(ctx context.Context) (locked context.Context, release func(), err error)
}

// Lister is a Store that can enumerate its entries (the file store; the
// keychain, through go-keyring, cannot).
type Lister interface {
	// IDs returns the ids of every stored secret, account ids and others
	// (the client key), in no particular order.
	IDs(ctx context.Context) ([]string, error)
}

// Locked runs fn holding s's cross-process lock when s is a Locker, and
// simply runs it otherwise. fn must use the context it is given, so that
// the store's methods know the lock is already held.
func Locked(ctx context.Context, s Store, fn func(ctx context.Context) error) error {
	l, ok := s.(Locker)
	if !ok {
		return fn(ctx)
	}
	locked, release, err := l.LockStore(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(locked)
}
