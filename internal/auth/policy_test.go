package auth

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.9:5555"
	r.Header.Set("X-Forwarded-For", "1.2.3.4, 203.0.113.7")
	if ip := (&HTTP{}).ClientIP(r); ip != "10.0.0.9" {
		t.Errorf("without TrustProxy the peer address counts, got %s", ip)
	}
	if ip := (&HTTP{TrustProxy: true}).ClientIP(r); ip != "203.0.113.7" {
		t.Errorf("behind a proxy the rightmost entry counts (the left ones can be forged), got %s", ip)
	}
}
