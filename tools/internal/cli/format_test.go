package cli

import "testing"

func TestHumanMB(t *testing.T) {
	for _, c := range []struct {
		mb   int64
		want string
	}{
		// bytes_to_human_str (libfastcommon shared_func.c) of mb MiB; 2580
		// MB is the reserve a C 6.16.1 tracker showed as "2.5 GB"
		{0, "0  B"}, {5, "5.0 MB"}, {10, "10 MB"}, {100, "100 MB"}, {1023, "1023 MB"}, {1024, "1.0 GB"},
		{1535, "1.5 GB"}, {1536, "1.5 GB"}, {1587, "1.5 GB"}, {1588, "1.6 GB"}, {2580, "2.5 GB"},
		{10188, "9.9 GB"}, {10200, "10 GB"}, {10751, "10 GB"}, {10752, "11 GB"}, {258048, "252 GB"},
		{1024 * 1024, "1.0 TB"}, {1024 * 1024 * 1024, "1.0 PB"},
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
