package org_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// The hook list is package-wide: the test's hook acts only while armed.
var moveHook struct {
	armed bool
	fail  error
	seen  []int64
	paths []string
}

func init() {
	org.OnMove(func(ctx context.Context, tx *store.Tx, orgID int64) error {
		if !moveHook.armed {
			return nil
		}
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, orgID).Scan(&path); err != nil {
			return err
		}
		moveHook.seen = append(moveHook.seen, orgID)
		moveHook.paths = append(moveHook.paths, path)
		return moveHook.fail
	})
}

func TestMoveHookRunsInTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &org.Store{DB: db}
		tr := build(t, s)
		moveHook.armed, moveHook.fail, moveHook.seen, moveHook.paths = true, nil, nil, nil
		defer func() { moveHook.armed = false }()
		if err := s.Move(ctx, org.System(), tr.officeA1.ID, tr.countyB.ID); err != nil {
			t.Fatal(err)
		}
		want := tr.countyB.Path + strconv.FormatInt(tr.officeA1.ID, 10) + "/"
		if len(moveHook.seen) != 1 || moveHook.seen[0] != tr.officeA1.ID || moveHook.paths[0] != want {
			t.Fatalf("hook saw %v %v, want [%d] [%s] (the new path)", moveHook.seen, moveHook.paths, tr.officeA1.ID, want)
		}
		// A failing hook aborts the move.
		moveHook.fail = errors.New("index down")
		if err := s.Move(ctx, org.System(), tr.officeA1.ID, tr.countyA.ID); err == nil {
			t.Fatal("move must fail with its hook")
		}
		o, err := s.Get(ctx, org.System(), tr.officeA1.ID)
		if err != nil || o.Path != want {
			t.Fatalf("after a failed hook the office is at %q (%v), want %q", o.Path, err, want)
		}
	})
}
