package web

import (
	"net/http"
	"time"
)

var zeroTime time.Time

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var httpCookieLangEN = http.Cookie{Name: "lang", Value: "en"}
