package diskio

import "testing"

// The logic name is what file IDs and binlog lines carry: golden bytes.
func TestFileRefAppendLogic(t *testing.T) {
	ref := FileRef{High: 0x0A, Low: 0xFF, Name: "wKgAAWZ.txt"}
	if got := string(ref.AppendLogic([]byte("x:"), 0x1C)); got != "x:M1C/0A/FF/wKgAAWZ.txt" {
		t.Fatalf("got %q", got)
	}
}
