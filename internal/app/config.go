// Package app wires configuration, storage, services and the HTTP server,
// and implements the command-line sub-commands.
package app

import (
	"bufio"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the program's configuration. Precedence: flags, then
// FENGQIAO_* environment variables, then the optional config file (lines
// of FENGQIAO_NAME=value), then defaults.
type Config struct {
	Addr         string        // FENGQIAO_ADDR
	DataDir      string        // FENGQIAO_DATA_DIR
	DatabaseURL  string        // FENGQIAO_DATABASE_URL (postgres://…; empty = SQLite in DataDir)
	CustomDir    string        // FENGQIAO_CUSTOM_DIR
	SiteName     string        // FENGQIAO_SITE_NAME
	BehindTLS    bool          // FENGQIAO_TLS: served over HTTPS (secure cookies, HSTS)
	TrustProxy   bool          // FENGQIAO_TRUST_PROXY: take the client IP from X-Forwarded-For
	LogLevel     string        // FENGQIAO_LOG_LEVEL: debug, info, warn, error
	DevTemplates bool          // FENGQIAO_DEV: re-read templates on each request
	AuditDays    int           // FENGQIAO_AUDIT_RETENTION_DAYS (≥184)
	ShutdownWait time.Duration // FENGQIAO_SHUTDOWN_TIMEOUT
	DBMaxOpen    int           // FENGQIAO_DB_MAX_OPEN
	Node         string        // FENGQIAO_NODE: name of this app node (job leases, logs)
	FilesBackend string        // FENGQIAO_FILES_BACKEND: db | dir
	FilesMaxMB   int           // FENGQIAO_FILES_MAX_MB
}

// AuditRetentionFloor is six months: Cybersecurity Law (as amended 2025)
// art. 23 requires network logs be kept at least six months.
const AuditRetentionFloor = 184

type setting struct {
	env, flag, def, help string
	set                  func(c *Config, v string) error
}

var settings = []setting{
	{"FENGQIAO_ADDR", "addr", ":8080", "HTTP listen address", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"FENGQIAO_DATA_DIR", "data", "./data", "data directory (SQLite file, keys, attachments)", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"FENGQIAO_DATABASE_URL", "db", "", "PostgreSQL URL (postgres://…); empty = embedded SQLite", func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"FENGQIAO_CUSTOM_DIR", "custom", "./custom", "directory overriding templates, logos and document templates", func(c *Config, v string) error { c.CustomDir = v; return nil }},
	{"FENGQIAO_SITE_NAME", "site-name", "枫桥司法所工作平台", "site name shown in the header", func(c *Config, v string) error { c.SiteName = v; return nil }},
	{"FENGQIAO_TLS", "tls", "false", "served over HTTPS by a reverse proxy (Secure cookies, HSTS)", boolSetter(func(c *Config, b bool) { c.BehindTLS = b })},
	{"FENGQIAO_TRUST_PROXY", "trust-proxy", "false", "take the client address from X-Forwarded-For", boolSetter(func(c *Config, b bool) { c.TrustProxy = b })},
	{"FENGQIAO_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"FENGQIAO_DEV", "dev", "false", "re-read templates on every request (development)", boolSetter(func(c *Config, b bool) { c.DevTemplates = b })},
	{"FENGQIAO_AUDIT_RETENTION_DAYS", "audit-retention-days", "190", "days to keep audit rows (at least 184)", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		if n < AuditRetentionFloor {
			return fmt.Errorf("must be at least %d (six months, Cybersecurity Law art. 23)", AuditRetentionFloor)
		}
		c.AuditDays = n
		return nil
	}},
	{"FENGQIAO_SHUTDOWN_TIMEOUT", "shutdown-timeout", "20s", "how long to wait for requests at shutdown", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.ShutdownWait = d
		return err
	}},
	{"FENGQIAO_DB_MAX_OPEN", "db-max-open", "16", "database connections per node", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.DBMaxOpen = n
		return err
	}},
	{"FENGQIAO_NODE", "node", "", "this node's name (default: host name)", func(c *Config, v string) error { c.Node = v; return nil }},
	{"FENGQIAO_FILES_BACKEND", "files-backend", "db", "where attachments are kept: db (in the database; every node sees them) or dir (<data>/files, one host or a shared disk)", func(c *Config, v string) error {
		if v != "db" && v != "dir" {
			return errors.New("must be db or dir")
		}
		c.FilesBackend = v
		return nil
	}},
	{"FENGQIAO_FILES_MAX_MB", "files-max-mb", "20", "largest attachment in MiB", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return errors.New("must be a whole number from 1 to 1024")
		}
		c.FilesMaxMB = n
		return nil
	}},
}

func boolSetter(f func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		f(c, b)
		return nil
	}
}

// Settings lists the configuration for the README and --help.
func Settings() [][4]string {
	var out [][4]string
	for _, s := range settings {
		out = append(out, [4]string{s.env, "--" + s.flag, s.def, s.help})
	}
	return out
}

// LoadConfig parses args of a sub-command (after the sub-command name).
func LoadConfig(fs *flag.FlagSet, args []string) (Config, error) {
	vals := map[string]*string{}
	for _, s := range settings {
		v := new(string)
		vals[s.env] = v
		usage := s.help + " (env " + s.env + ", default " + quoteDef(s.def) + ")"
		if s.def == "true" || s.def == "false" {
			fs.Var(boolFlag{v}, s.flag, usage)
		} else {
			fs.StringVar(v, s.flag, "", usage)
		}
	}
	file := fs.String("config", os.Getenv("FENGQIAO_CONFIG"), "configuration file of FENGQIAO_NAME=value lines (env FENGQIAO_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	fromFile := map[string]string{}
	if *file != "" {
		var err error
		if fromFile, err = readConfigFile(*file); err != nil {
			return Config{}, err
		}
	}
	var c Config
	for _, s := range settings {
		v := s.def
		if x, ok := fromFile[s.env]; ok {
			v = x
		}
		if x, ok := os.LookupEnv(s.env); ok {
			v = x
		}
		if x := *vals[s.env]; x != "" {
			v = x
		}
		if err := s.set(&c, v); err != nil {
			return Config{}, fmt.Errorf("%s (--%s): %v", s.env, s.flag, err)
		}
	}
	if c.Node == "" {
		c.Node, _ = os.Hostname()
	}
	return c, nil
}

func quoteDef(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func readConfigFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	n := 0
	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = true
	}
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !known[k] {
			return nil, fmt.Errorf("%s:%d: expected FENGQIAO_NAME=value with a known name, got %q", path, n, line)
		}
		out[k] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return out, sc.Err()
}

// SQLitePath is where the embedded database lives.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "fengqiao.db") }

// KeysDir holds generated secrets.
func (c Config) KeysDir() string { return filepath.Join(c.DataDir, "keys") }

// ensureSecret returns the content of a 32-byte secret file, creating it
// with mode 0600 when missing.
func ensureSecret(dir, name string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("%s: secret too short", p)
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// boolFlag lets "--tls" stand for "--tls=true" while keeping the value as
// text so that an unset flag can be told from an explicit false.
type boolFlag struct{ v *string }

func (b boolFlag) String() string {
	if b.v == nil {
		return ""
	}
	return *b.v
}
func (b boolFlag) Set(s string) error { *b.v = s; return nil }
func (b boolFlag) IsBoolFlag() bool   { return true }
