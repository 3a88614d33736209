package cli

import "testing"

func TestHumanMB(t *testing.T) {
	for _, c := range []struct {
		mb   int64
		want string
	}{
		{0, "0 B"}, {100, "100 MB"}, {1023, "1023 MB"}, {1024, "1 GB"},
		{1535, "1 GB"}, {1536, "2 GB"}, {1024 * 1024, "1 TB"},
	} {
		if got := HumanMB(c.mb); got != c.want {
			t.Errorf("HumanMB(%d) = %q, want %q", c.mb, got, c.want)
		}
	}
}

func TestStatusCaption(t *testing.T) {
	if StatusCaption(7) != "ACTIVE" || StatusCaption(9) != "RECOVERY" || StatusCaption(1) != "WAIT_SYNC" ||
		StatusCaption(42) != "UNKNOWN" {
		t.Error("status captions")
	}
}
