package org

import (
	"context"
	"sync"

	"fengqiao/internal/store"
)

// MoveHook runs inside the transaction of Move, after the paths of the
// moved subtree are updated, with the id of the moved org. Packages that
// keep derived data per path (the search index keeps ancestor tokens)
// refresh it here; an error aborts the move.
type MoveHook func(ctx context.Context, tx *store.Tx, orgID int64) error

var (
	hooksMu   sync.Mutex
	moveHooks []MoveHook
)

// OnMove adds a hook to every Move (call from init).
func OnMove(h MoveHook) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	moveHooks = append(moveHooks, h)
}

func runMoveHooks(ctx context.Context, tx *store.Tx, orgID int64) error {
	hooksMu.Lock()
	hs := append([]MoveHook(nil), moveHooks...)
	hooksMu.Unlock()
	for _, h := range hs {
		if err := h(ctx, tx, orgID); err != nil {
			return err
		}
	}
	return nil
}
