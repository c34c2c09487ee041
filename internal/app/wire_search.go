package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"

	"fengqiao/internal/search"
	"fengqiao/internal/searchui"
)

// routesSearch serves /search and /api/v1/search.
func (a *App) routesSearch(mux *http.ServeMux) {
	(&searchui.Handler{Auth: a.AuthH, DB: a.DB}).Routes(mux)
}

const searchUsage = "usage: fengqiao search reindex [--config file] [flags]"

// cmdSearch is `fengqiao search reindex`: it rebuilds the full-text index
// from persons and cases (after a restore, or if the index is suspected
// stale). Readers keep searching meanwhile; each source swaps in one
// transaction.
func cmdSearch(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "reindex" {
		return errors.New(searchUsage)
	}
	cfg, err := LoadConfig(newFlags("search reindex"), args[1:])
	if err != nil {
		return err
	}
	db, err := OpenDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	// A database last served by an older binary may lack the index tables.
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	n, err := search.Reindex(ctx, db)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(n))
	for k := range n {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(out, "search: reindexed %d %s documents\n", n[k], k)
	}
	return nil
}
