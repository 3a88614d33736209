package codec

import "testing"

func TestCmdNames(t *testing.T) {
	for cmd, want := range map[byte]string{11: "UPLOAD_FILE", 100: "RESP", 83: "STORAGE_BEAT", 40: "SYNC_RENAME_FILE"} {
		if got := CmdName(cmd); got != want {
			t.Errorf("CmdName(%d) = %q, want %q", cmd, got, want)
		}
	}
	if CmdName(39) != "" {
		t.Error("39 is unused")
	}
}
