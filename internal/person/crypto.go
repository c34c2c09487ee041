package person

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Keys are the secrets for personal data at rest: the field keys that
// encrypt values (several versions may coexist during a rotation; Current
// encrypts) and the key of the lookup hash, which never rotates because
// every stored hash would change.
type Keys struct {
	Field   map[int][]byte // version → 32-byte AES-256 key
	Current int
	Hash    []byte // 32-byte HMAC-SHA256 key
}

// Crypto encrypts field values with AES-256-GCM and computes keyed hashes
// for exact-match lookup. Ciphertext is "v<version>:<base64(nonce|sealed)>"
// so values written under older keys stay readable.
type Crypto struct {
	aeads   map[int]cipher.AEAD
	current int
	hashKey []byte
}

// NewCrypto checks the keys and prepares the ciphers.
func NewCrypto(k Keys) (*Crypto, error) {
	if len(k.Hash) != 32 {
		return nil, errors.New("person: hash key must be 32 bytes")
	}
	if _, ok := k.Field[k.Current]; !ok {
		return nil, fmt.Errorf("person: current field key v%d missing", k.Current)
	}
	c := &Crypto{aeads: map[int]cipher.AEAD{}, current: k.Current, hashKey: append([]byte(nil), k.Hash...)}
	for v, key := range k.Field {
		if len(key) != 32 {
			return nil, fmt.Errorf("person: field key v%d must be 32 bytes", v)
		}
		if v <= 0 {
			return nil, fmt.Errorf("person: field key version %d must be positive", v)
		}
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		g, err := cipher.NewGCM(b)
		if err != nil {
			return nil, err
		}
		c.aeads[v] = g
	}
	return c, nil
}

// CurrentVersion is the version of the key that encrypts.
func (c *Crypto) CurrentVersion() int { return c.current }

// Encrypt seals plain for the named field; the field name is bound as
// associated data so a value cannot be moved to another column unnoticed.
// The empty string stays empty (nothing to hide, and "no value" stays
// queryable).
func (c *Crypto) Encrypt(field, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	g := c.aeads[c.current]
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(plain)+g.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := g.Seal(nonce, nonce, []byte(plain), []byte(field))
	return "v" + strconv.Itoa(c.current) + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// ErrDecrypt means a value cannot be decrypted: tampered, truncated, moved
// from another field, or written under a key that is not loaded.
var ErrDecrypt = errors.New("person: cannot decrypt value")

// KeyVersion returns the key version a ciphertext was written under (0 if
// it is not one of ours).
func KeyVersion(ct string) int {
	v, _, ok := strings.Cut(ct, ":")
	if !ok || len(v) < 2 || v[0] != 'v' {
		return 0
	}
	n, err := strconv.Atoi(v[1:])
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// Decrypt opens a value sealed by Encrypt for the same field.
func (c *Crypto) Decrypt(field, ct string) (string, error) {
	if ct == "" {
		return "", nil
	}
	g, ok := c.aeads[KeyVersion(ct)]
	if !ok {
		return "", ErrDecrypt
	}
	_, body, _ := strings.Cut(ct, ":")
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < g.NonceSize()+g.Overhead() {
		return "", ErrDecrypt
	}
	plain, err := g.Open(nil, raw[:g.NonceSize()], raw[g.NonceSize():], []byte(field))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}

// Hash is the keyed lookup hash of a normalized value in a namespace (e.g.
// "doc:id_card", "phone"): equal inputs give equal hashes, and without the
// key nobody can test guesses against the stored hashes.
func (c *Crypto) Hash(namespace, normalized string) string {
	if normalized == "" {
		return ""
	}
	m := hmac.New(sha256.New, c.hashKey)
	m.Write([]byte(namespace))
	m.Write([]byte{0})
	m.Write([]byte(normalized))
	return hex.EncodeToString(m.Sum(nil))
}

// Key files in the data directory. field.key holds one line per version,
// "v<n> <base64 key>"; the highest version is current. hash.key holds one
// base64 key.
const (
	FieldKeyFile = "field.key"
	HashKeyFile  = "hash.key"
)

// LoadOrCreateKeys reads the key files in dir, creating them (mode 0600,
// fresh random keys) when missing.
func LoadOrCreateKeys(dir string) (Keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Keys{}, err
	}
	fp := filepath.Join(dir, FieldKeyFile)
	if _, err := os.Stat(fp); errors.Is(err, os.ErrNotExist) {
		if err := appendFieldKey(fp, 1); err != nil {
			return Keys{}, err
		}
	}
	hp := filepath.Join(dir, HashKeyFile)
	if _, err := os.Stat(hp); errors.Is(err, os.ErrNotExist) {
		key, err := randomKey()
		if err != nil {
			return Keys{}, err
		}
		if err := writeNew(hp, base64.StdEncoding.EncodeToString(key)+"\n"); err != nil {
			return Keys{}, err
		}
	}
	return LoadKeys(dir)
}

// LoadKeys reads existing key files; it never creates them.
func LoadKeys(dir string) (Keys, error) {
	k := Keys{Field: map[int][]byte{}}
	b, err := os.ReadFile(filepath.Join(dir, FieldKeyFile))
	if err != nil {
		return Keys{}, err
	}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ver, enc, ok := strings.Cut(line, " ")
		n := KeyVersion(ver + ":")
		key, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if !ok || n == 0 || derr != nil || len(key) != 32 {
			return Keys{}, fmt.Errorf("%s line %d: want \"v<n> <base64 of 32 bytes>\"", FieldKeyFile, i+1)
		}
		if _, dup := k.Field[n]; dup {
			return Keys{}, fmt.Errorf("%s line %d: version v%d repeated", FieldKeyFile, i+1, n)
		}
		k.Field[n] = key
		k.Current = max(k.Current, n)
	}
	if len(k.Field) == 0 {
		return Keys{}, fmt.Errorf("%s holds no key", FieldKeyFile)
	}
	hb, err := os.ReadFile(filepath.Join(dir, HashKeyFile))
	if err != nil {
		return Keys{}, err
	}
	k.Hash, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(hb)))
	if err != nil || len(k.Hash) != 32 {
		return Keys{}, fmt.Errorf("%s: want the base64 of 32 bytes", HashKeyFile)
	}
	return k, nil
}

// AddFieldKey appends a new random field key to dir's field.key and makes
// it current; RotateKeys then re-encrypts the stored values. Old versions
// stay in the file until an operator removes them after the rotation.
func AddFieldKey(dir string) (Keys, error) {
	k, err := LoadKeys(dir)
	if err != nil {
		return Keys{}, err
	}
	if err := appendFieldKey(filepath.Join(dir, FieldKeyFile), k.Current+1); err != nil {
		return Keys{}, err
	}
	return LoadKeys(dir)
}

// Versions lists the loaded field key versions in order (for a status line).
func (k Keys) Versions() []int {
	out := make([]int, 0, len(k.Field))
	for v := range k.Field {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

func randomKey() ([]byte, error) {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	return key, err
}

func appendFieldKey(path string, version int) error {
	key, err := randomKey()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "v%d %s\n", version, base64.StdEncoding.EncodeToString(key)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeNew(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
