package conf

import (
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// FuzzParseINI: the parser never panics, and what it accepted reads back the
// same after Format (parse -> format -> parse is stable).
func FuzzParseINI(f *testing.F) {
	for _, name := range []string{"tracker.conf", "storage.conf", "client.conf", "http.conf", "storage_ids.conf"} {
		if data, err := os.ReadFile(cSampleForFuzz(name)); err == nil {
			f.Add(data)
		}
	}
	f.Add(SampleTracker())
	f.Add([]byte("a=1\n[s]\nb = 2 \r\n[]\n#include x.conf\n#@if x\n"))
	f.Add([]byte("[a]b]\n[k=v]\n=\n" + strings.Repeat("k", 70) + "= " + strings.Repeat("v", 300) + "\n"))

	noFiles := WithReadFile(func(string) ([]byte, error) { return nil, errors.New("no files while fuzzing") })
	quiet := WithLogger(slog.New(slog.DiscardHandler))
	opts := newOptions([]Option{noFiles, quiet})
	f.Fuzz(func(t *testing.T, data []byte) {
		ini, err := ParseINI("fuzz.conf", data, noFiles, quiet)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "fuzz.conf") {
				t.Fatalf("error %q is not a *Error naming the file", err)
			}
			return
		}
		for _, s := range ini.Sections() {
			for _, it := range s.Items {
				if len(it.Key) > MaxKeyLen || len(it.Value) > MaxValueLen || it.Line < 1 {
					t.Fatalf("item out of limits: %+v", it)
				}
				if strings.HasPrefix(it.Key, "[") && strings.HasSuffix(it.Value, "]") {
					return // the one item the dialect cannot write back (see Format)
				}
			}
		}
		out := ini.Format()
		again, err := ParseINI("again.conf", out, noFiles, quiet)
		if err != nil {
			t.Fatalf("formatted output does not parse: %v\n%q", err, out)
		}
		if !sameItems(ini, again) {
			t.Fatalf("re-parse differs:\n%q\n%q", out, again.Format())
		}
		// The typed loaders must not panic on anything the parser accepts.
		_, _ = trackerFrom("fuzz.conf", ini, opts)
		_, _ = storageFrom("fuzz.conf", ini, opts)
		_, _ = clientFrom("fuzz.conf", ini, opts)
		_, _ = ParseStorageIDs("fuzz.conf", data)
	})
}

// cSampleForFuzz is cSample without a *testing.T (seeds are optional).
func cSampleForFuzz(name string) string {
	root := os.Getenv("GOFDFS_SHARED")
	if root == "" {
		root = "../../shared"
	}
	return root + "/protocol/conf-samples/" + name
}
