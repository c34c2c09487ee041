package person

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testKeys(versions ...int) Keys {
	k := Keys{Field: map[int][]byte{}, Hash: bytes.Repeat([]byte{0x42}, 32)}
	for _, v := range versions {
		k.Field[v] = bytes.Repeat([]byte{byte(v)}, 32)
		k.Current = max(k.Current, v)
	}
	return k
}

func mustCrypto(t *testing.T, k Keys) *Crypto {
	t.Helper()
	c, err := NewCrypto(k)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCryptoRoundTripAndTamper(t *testing.T) {
	c := mustCrypto(t, testKeys(1))
	ct, err := c.Encrypt(FieldIDNumber, "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct, "v1:") || strings.Contains(ct, "11010519491231002X") {
		t.Fatalf("ciphertext %q", ct)
	}
	if again, _ := c.Encrypt(FieldIDNumber, "11010519491231002X"); again == ct {
		t.Fatal("two encryptions must differ (random nonce)")
	}
	if p, err := c.Decrypt(FieldIDNumber, ct); err != nil || p != "11010519491231002X" {
		t.Fatalf("decrypt: %q %v", p, err)
	}
	// Flip one character of the sealed body: authentication must fail.
	b := []byte(ct)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	for name, bad := range map[string]string{
		"tampered":             string(b),
		"truncated":            ct[:len(ct)-4],
		"unknown key":          "v9" + ct[2:],
		"not ours":             "plain text",
		"bad base64":           "v1:***",
		"shorter than a nonce": "v1:AAAA",
	} {
		if _, err := c.Decrypt(FieldIDNumber, bad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: want ErrDecrypt, got %v", name, err)
		}
	}
	if _, err := c.Decrypt(FieldPhone, ct); !errors.Is(err, ErrDecrypt) {
		t.Error("a value moved to another field must not decrypt")
	}
	if e, _ := c.Encrypt(FieldPhone, ""); e != "" {
		t.Error("empty stays empty")
	}
}

func TestHash(t *testing.T) {
	c := mustCrypto(t, testKeys(1))
	h := c.Hash("doc:id_card", "11010519491231002X")
	if h != c.Hash("doc:id_card", "11010519491231002X") || len(h) != 64 {
		t.Fatal("hash must be deterministic hex SHA-256")
	}
	if h == c.Hash("doc:passport", "11010519491231002X") || h == c.Hash("doc:id_card", "440524188001010014") {
		t.Fatal("namespace and value must both change the hash")
	}
	other := testKeys(1)
	other.Hash = bytes.Repeat([]byte{1}, 32)
	if h == mustCrypto(t, other).Hash("doc:id_card", "11010519491231002X") {
		t.Fatal("the hash must depend on the key")
	}
	if c.Hash("phone", "") != "" {
		t.Fatal("no value, no hash")
	}
}

func TestNewCryptoRejectsBadKeys(t *testing.T) {
	k := testKeys(1)
	k.Hash = []byte("short")
	if _, err := NewCrypto(k); err == nil {
		t.Error("short hash key accepted")
	}
	k = testKeys(1)
	k.Current = 2
	if _, err := NewCrypto(k); err == nil {
		t.Error("missing current key accepted")
	}
	k = testKeys(1)
	k.Field[1] = []byte("short")
	if _, err := NewCrypto(k); err == nil {
		t.Error("short field key accepted")
	}
}

func TestLoadOrCreateKeysAndAddFieldKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k1, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FieldKeyFile, HashKeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	if k1.Current != 1 || len(k1.Field[1]) != 32 || len(k1.Hash) != 32 {
		t.Fatalf("keys: current %d", k1.Current)
	}
	again, err := LoadOrCreateKeys(dir)
	if err != nil || !bytes.Equal(again.Field[1], k1.Field[1]) || !bytes.Equal(again.Hash, k1.Hash) {
		t.Fatal("a second load must read the same keys, not create new ones")
	}
	c1 := mustCrypto(t, k1)
	ct, _ := c1.Encrypt(FieldPhone, "13812345678")
	k2, err := AddFieldKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Current != 2 || len(k2.Versions()) != 2 || !bytes.Equal(k2.Hash, k1.Hash) {
		t.Fatalf("after AddFieldKey: current %d versions %v", k2.Current, k2.Versions())
	}
	c2 := mustCrypto(t, k2)
	if p, err := c2.Decrypt(FieldPhone, ct); err != nil || p != "13812345678" {
		t.Fatal("old values must stay readable after adding a key")
	}
	if ct2, _ := c2.Encrypt(FieldPhone, "13812345678"); KeyVersion(ct2) != 2 {
		t.Fatal("new values must use the new key")
	}
	if err := os.WriteFile(filepath.Join(dir, FieldKeyFile), []byte("v1 notbase64\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(dir); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("a corrupt key file must be reported with its line: %v", err)
	}
}
