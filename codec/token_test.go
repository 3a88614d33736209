package codec

import (
	"errors"
	"strings"
	"testing"
)

// Expected tokens computed outside Go (printf ... | md5sum).
func TestTokenVectors(t *testing.T) {
	for _, c := range []struct {
		id, secret string
		ts         int64
		want       string
	}{
		{fidExampleID, "FastDFS1234567890", 1600203539, "3ceb277a86003f1845dbf82c53d43d95"},
		{fidExampleID[7:], "s3cr3t", 0, "e39608a9c41cf9986d68c3451f59c5a9"}, // the nginx module's group-less form
	} {
		got, err := Token(c.id, c.secret, c.ts)
		if err != nil || got != c.want {
			t.Errorf("%s: %s %v", c.id, got, err)
		}
	}
	b, err := AppendToken([]byte("token="), fidExampleID, "k", 1)
	if err != nil || !strings.HasPrefix(string(b), "token=") || len(b) != 6+TokenLen {
		t.Fatalf("%q %v", b, err)
	}
	// C's 320-byte buffer: id + secret + 12 must fit
	id := strings.Repeat("a", 300)
	if _, err := Token(id, strings.Repeat("s", 8), 1); err != nil {
		t.Errorf("308 bytes: %v", err)
	}
	if _, err := Token(id, strings.Repeat("s", 9), 1); !errors.Is(err, ENOSPC) {
		t.Errorf("309 bytes: %v", err)
	}
}

func TestCheckToken(t *testing.T) {
	const secret, ts, ttl = "FastDFS1234567890", 1600203539, 900
	tok, err := Token(fidExampleID, secret, ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		token string
		ts    int64
		now   int64
		want  error
	}{
		{"fresh", tok, ts, ts + 10, nil},
		{"at the ttl", tok, ts, ts + ttl, nil},
		{"expired", tok, ts, ts + ttl + 1, ETIMEDOUT},
		{"future ts", tok, ts, ts - 1000, nil},
		{"wrong ts", tok, ts + 1, ts + 10, EPERM},
		{"upper case", strings.ToUpper(tok), ts, ts + 10, EPERM},
		{"short", tok[:31], ts, ts + 10, EINVAL},
		{"long", tok + "0", ts, ts + 10, EINVAL},
	} {
		err := CheckToken(c.token, fidExampleID, secret, c.ts, c.now, ttl)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// ts 0 never expires
	tok0, _ := Token(fidExampleID, secret, 0)
	if err := CheckToken(tok0, fidExampleID, secret, 0, 1<<40, ttl); err != nil {
		t.Errorf("ts 0: %v", err)
	}
	if err := CheckToken(tok, fidExampleID, "other", ts, ts, ttl); !errors.Is(err, EPERM) {
		t.Errorf("other secret: %v", err)
	}
}

func TestTokenZeroAlloc(t *testing.T) {
	buf := make([]byte, 0, 64)
	n := testing.AllocsPerRun(200, func() {
		if _, err := AppendToken(buf[:0], fidExampleID, "secret", 1600203539); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}
