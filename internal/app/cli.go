package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
)

// Version is set at build time with -ldflags "-X fengqiao/internal/app.Version=…".
var Version = "dev"

const usage = `fengqiao — 司法所工作平台 (grassroots judicial office platform)

Usage: fengqiao <command> [flags]

Commands:
  serve          start the web server (add --demo to load demo data into an empty database)
  migrate        apply database migrations and exit
  init           set up an empty database: top organization and the three administrators (--kind --name --division)
  demo           load the demo data set (--scale N generates a province-size set for benchmarks)
  user           create | reset-password | disable | enable | unlock accounts
  backup         write a consistent copy of the database (SQLite) or run pg_dump (PostgreSQL)
  audit verify   check the audit log's hash chain; exit status 1 when broken
  keys rotate    add a new field-encryption key and re-encrypt personal data with it
  search reindex rebuild the Chinese full-text index from the records
  version        print the version

Run "fengqiao <command> -h" for a command's flags. Every flag also reads a
FENGQIAO_* environment variable, and --config names a file of such lines.
`

// Main runs the command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, rest, stdout)
	case "migrate":
		err = cmdMigrate(ctx, rest, stdout)
	case "init":
		err = cmdInit(ctx, rest, stdout)
	case "demo":
		err = cmdDemo(ctx, rest, stdout)
	case "user":
		err = cmdUser(ctx, rest, stdout)
	case "backup":
		err = cmdBackup(ctx, rest, stdout)
	case "audit":
		err = cmdAudit(ctx, rest, stdout)
	case "keys":
		err = cmdKeys(ctx, rest, stdout)
	case "search":
		err = cmdSearch(ctx, rest, stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, VersionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ee exitError
		if errors.As(err, &ee) {
			fmt.Fprintln(stderr, ee.msg)
			return ee.code
		}
		fmt.Fprintln(stderr, "fengqiao "+cmd+": "+err.Error())
		return 1
	}
	return 0
}

type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// VersionString is the version with the VCS revision when known.
func VersionString() string {
	v := "fengqiao " + Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

func newFlags(name string) *flag.FlagSet {
	return flag.NewFlagSet("fengqiao "+name, flag.ContinueOnError)
}

func cmdServe(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("serve")
	demo := fs.Bool("demo", false, "load the demo data set when the database has no organizations yet")
	cfg, err := LoadConfig(fs, args)
	if err != nil {
		return err
	}
	log := NewLogger(cfg.LogLevel)
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if *demo {
		loaded, err := a.LoadDemoIfEmpty(ctx, out)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if !loaded {
			log.Info("demo data not loaded: the database already has organizations")
		}
	}
	return a.Serve(ctx, func(addr string) {
		host := addr
		if strings.HasPrefix(addr, "[::]") || strings.HasPrefix(addr, "0.0.0.0") {
			host = "localhost" + addr[strings.LastIndex(addr, ":"):]
		}
		fmt.Fprintf(out, "fengqiao 已启动: http://%s  (Ctrl+C 停止)\n", host)
	})
}

func cmdMigrate(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := LoadConfig(newFlags("migrate"), args)
	if err != nil {
		return err
	}
	db, err := OpenDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "applied %d migrations (%s)\n", n, db.Engine)
	return nil
}

func cmdAudit(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: fengqiao audit verify")
	}
	cfg, err := LoadConfig(newFlags("audit verify"), args[1:])
	if err != nil {
		return err
	}
	db, err := OpenDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := audit.Verify(ctx, db)
	if err != nil {
		return err
	}
	if !res.OK() {
		return exitError{1, fmt.Sprintf("审计日志完整性校验失败 (audit chain BROKEN): 第 %d 条: %s (checked %d rows, seq %d–%d)",
			res.BrokenSeq, res.Problem, res.Rows, res.FirstSeq, res.LastSeq)}
	}
	fmt.Fprintf(out, "审计日志完整 (audit chain intact): %d rows, seq %d–%d\n", res.Rows, res.FirstSeq, res.LastSeq)
	return nil
}

func cmdKeys(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("usage: fengqiao keys rotate")
	}
	cfg, err := LoadConfig(newFlags("keys rotate"), args[1:])
	if err != nil {
		return err
	}
	db, err := OpenDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	keys, err := person.AddFieldKey(cfg.KeysDir())
	if err != nil {
		return err
	}
	c, err := person.NewCrypto(keys)
	if err != nil {
		return err
	}
	n, err := person.RotateKeys(ctx, db, c)
	if err != nil {
		return err
	}
	m, err := rotateTOTP(ctx, db, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "new key version %d; re-encrypted %d personal-data values and %d two-factor secrets\n", c.CurrentVersion(), n, m)
	return nil
}

// rotateTOTP re-encrypts TOTP seeds, which person.RotateKeys does not know.
func rotateTOTP(ctx context.Context, db *store.DB, c *person.Crypto) (int, error) {
	s := cryptoSealer{c}
	n := 0
	err := db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, totp_secret FROM users WHERE totp_secret <> ''`)
		if err != nil {
			return err
		}
		type row struct {
			id  int64
			sec string
		}
		var rs []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.sec); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		rows.Close()
		for _, r := range rs {
			plain, err := s.Open(r.sec)
			if err != nil {
				return fmt.Errorf("user %d: %w", r.id, err)
			}
			ct, err := s.Seal(plain)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = ? WHERE id = ?`, ct, r.id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

var _ = auth.CookieName
