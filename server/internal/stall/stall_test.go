package stall

import (
	"testing"
	"time"
)

func TestPartial(t *testing.T) {
	var p Partial
	now := time.Now()
	if p.Expired(now.Add(time.Hour), time.Second) {
		t.Fatal("a connection with no incomplete request expired")
	}
	p.Mark(true)
	first := p.since.Load()
	p.Mark(true)
	if p.since.Load() != first {
		t.Fatal("a second Mark(true) moved the start of the incomplete request")
	}
	if p.Expired(time.Now(), time.Minute) {
		t.Fatal("expired before the limit")
	}
	if !p.Expired(time.Now().Add(2*time.Minute), time.Minute) {
		t.Fatal("not expired after the limit")
	}
	if p.Expired(time.Now().Add(2*time.Minute), time.Minute) {
		t.Fatal("reported twice")
	}
	p.Mark(true)
	p.Mark(false)
	if p.Expired(time.Now().Add(time.Hour), time.Second) {
		t.Fatal("a completed request expired")
	}
}
