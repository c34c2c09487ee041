package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"fengqiao/internal/store"
)

func cmdBackup(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("backup")
	dest := fs.String("out", "", "output file (default: <data>/backups/fengqiao-YYYYMMDD-HHMMSS.db or .dump)")
	printOnly := fs.Bool("print", false, "PostgreSQL: print the pg_dump command instead of running it")
	cfg, err := LoadConfig(fs, args)
	if err != nil {
		return err
	}
	stamp := time.Now().Format("20060102-150405")
	if cfg.DatabaseURL != "" {
		if *dest == "" {
			*dest = filepath.Join(cfg.DataDir, "backups", "fengqiao-"+stamp+".dump")
		}
		argv := PgDumpArgs(cfg.DatabaseURL, *dest)
		if *printOnly {
			fmt.Fprintln(out, shellQuote(argv))
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(*dest), 0o700); err != nil {
			return err
		}
		path, err := exec.LookPath("pg_dump")
		if err != nil {
			return fmt.Errorf("pg_dump not found; install the PostgreSQL client of the server's version and run:\n  %s", shellQuote(argv))
		}
		cmd := exec.CommandContext(ctx, path, argv[1:]...)
		cmd.Stdout, cmd.Stderr = out, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pg_dump: %w", err)
		}
		fmt.Fprintf(out, "PostgreSQL backup written to %s (restore with pg_restore)\n", *dest)
		return nil
	}
	if *dest == "" {
		*dest = filepath.Join(cfg.DataDir, "backups", "fengqiao-"+stamp+".db")
	}
	db, err := OpenDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := BackupSQLite(ctx, db, *dest); err != nil {
		return err
	}
	fmt.Fprintf(out, "SQLite backup written to %s (copy it together with %s)\n", *dest, cfg.KeysDir())
	return nil
}

// BackupSQLite writes a consistent copy of a live SQLite database with
// VACUUM INTO, which reads one snapshot while writers go on.
func BackupSQLite(ctx context.Context, db *store.DB, dest string) error {
	if db.Engine != store.SQLite {
		return errors.New("not an SQLite database")
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s exists; choose another --out", dest)
	}
	if _, err := db.Writer().ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return os.Chmod(dest, 0o600)
}

// PgDumpArgs is the pg_dump command for a backup in custom format.
func PgDumpArgs(url, dest string) []string {
	return []string{"pg_dump", "--format=custom", "--no-owner", "--file=" + dest, "--dbname=" + url}
}

func shellQuote(argv []string) string {
	s := ""
	for i, a := range argv {
		if i > 0 {
			s += " "
		}
		s += "'" + a + "'"
	}
	return s
}
