package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id parameters; stored hashes carry their own,
// and a hash with older parameters is re-hashed at the next login.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
}

// DefaultArgon2 is OWASP's Password Storage Cheat Sheet setting for
// argon2id (19 MiB, t=2, p=1): strong, yet a province-wide login rush does
// not exhaust memory. Hashes made with other parameters are re-hashed at
// the next successful login.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32}

// hashSlots bounds concurrent hashing so memory stays at cores × Memory.
var hashSlots = make(chan struct{}, max(2, runtime.NumCPU()))

func idKey(pw, salt []byte, p Argon2Params) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// HashPassword returns a PHC string $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(pw string, p Argon2Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey([]byte(pw), salt, p)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

func parseHash(h string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Argon2Params{}, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Argon2Params{}, nil, nil, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Argon2Params{}, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return Argon2Params{}, nil, nil, errBadHash
	}
	p.KeyLen = uint32(len(key))
	return p, salt, key, nil
}

// CheckPassword reports whether pw matches the PHC hash h, and whether h
// should be re-hashed with the current parameters.
func CheckPassword(pw, h string, current Argon2Params) (ok, rehash bool) {
	p, salt, key, err := parseHash(h)
	if err != nil {
		return false, false
	}
	got := idKey([]byte(pw), salt, p)
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, ok && p != current
}

// dummyHash is verified against when a username does not exist, so an
// unknown user costs the same time as a wrong password.
var dummyHash, _ = HashPassword("fengqiao-dummy-password", DefaultArgon2)
