package store

import (
	"strconv"
	"strings"
	"sync"
)

// The few places where the engines' SQL differs. Business packages call
// these instead of writing engine-specific SQL.

var rebindCache sync.Map // string -> string

// rebind turns '?' placeholders into $1, $2… for PostgreSQL. A '?' inside
// a quoted literal is left alone.
func (db *DB) rebind(q string) string {
	if db.Engine != Postgres {
		return q
	}
	if v, ok := rebindCache.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inStr := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	rebindCache.Store(q, out)
	return out
}

// ILike returns a case-insensitive LIKE expression for col with one '?'
// argument; callers pass the pattern through LikeContains or LikePrefix.
func ILike(e Engine, col string) string {
	if e == Postgres {
		return col + " ILIKE ? ESCAPE '\\'"
	}
	return col + " LIKE ? ESCAPE '\\'" // SQLite LIKE is case-insensitive for ASCII
}

// LikeContains escapes s for a LIKE pattern that matches s anywhere.
func LikeContains(s string) string { return "%" + likeEscape(s) + "%" }

// LikePrefix escapes s for a LIKE pattern that matches values starting with s.
func LikePrefix(s string) string { return likeEscape(s) + "%" }

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// PrefixRange returns [lo, hi) bounds that select every string beginning
// with prefix using plain b-tree comparisons (index-friendly on both
// engines; PostgreSQL columns compared this way must use COLLATE "C").
func PrefixRange(prefix string) (lo, hi string) {
	if prefix == "" {
		return "", "\xff"
	}
	b := []byte(prefix)
	b[len(b)-1]++
	return prefix, string(b)
}

// ForUpdate returns the row-locking suffix for SELECT … in a write
// transaction: FOR UPDATE on PostgreSQL, nothing on SQLite where the
// immediate transaction already holds the write lock.
func ForUpdate(e Engine) string {
	if e == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// InList returns "?,?,?" for n arguments.
func InList(n int) string {
	if n <= 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
