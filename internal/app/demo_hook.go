package app

import (
	"context"
	"errors"
	"io"
)

// cmdDemo and LoadDemoIfEmpty are completed by the demo package wiring.
func cmdDemo(ctx context.Context, args []string, out io.Writer) error {
	return errors.New("demo: not wired yet")
}

// LoadDemoIfEmpty loads the demo data when no org exists.
func (a *App) LoadDemoIfEmpty(ctx context.Context, out io.Writer) (bool, error) { return false, nil }
