package app

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fengqiao.conf")
	if err := os.WriteFile(file, []byte("# comment\nFENGQIAO_ADDR=:7000\nFENGQIAO_SITE_NAME=\"文件站点\"\nFENGQIAO_LOG_LEVEL=warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FENGQIAO_LOG_LEVEL", "debug")
	cfg, err := LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", file, "--tls", "--addr", ":9000"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9000" || cfg.SiteName != "文件站点" || cfg.LogLevel != "debug" || !cfg.BehindTLS || cfg.AuditDays != 190 {
		t.Fatalf("flags > env > file > defaults broken: %+v", cfg)
	}
	if _, err := LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--audit-retention-days", "100"}); err == nil {
		t.Fatal("retention below 184 days must be refused")
	}
	if err := os.WriteFile(file, []byte("FENGQIAO_NOPE=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", file}); err == nil {
		t.Fatal("an unknown name in the config file must be an error naming the line")
	}
}

func TestEnsureSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	a, err := ensureSecret(dir, "session.key")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ensureSecret(dir, "session.key")
	st, _ := os.Stat(filepath.Join(dir, "session.key"))
	if string(a) != string(b) || len(a) != 32 || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret not stable or not 0600: %v", st.Mode())
	}
}
