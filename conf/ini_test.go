package conf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseINILinesSectionsAndItems(t *testing.T) {
	log, logs := testLogger()
	src := "# comment\r\n" +
		"  a = 1  \r\n" +
		"\tb=two words = and more\t\n" +
		"no equals sign here\n" +
		"[s1]\n" +
		"a = in s1\n" +
		"[ ]\n" +
		"c = back in global\n" +
		"[s1]\n" +
		"d = s1 again\n" +
		"a = last\n" +
		"empty =\n" +
		"[]\n" +
		"=no key\n" +
		"   # indented comment\n" +
		"#@unknown_directive is just a comment\n" +
		"tail=no newline at end"
	ini, err := ParseINI("x.conf", []byte(src), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	g := ini.Global()
	want := []Item{
		{Key: "a", Value: "1", File: "x.conf", Line: 2},
		{Key: "b", Value: "two words = and more", File: "x.conf", Line: 3},
		{Key: "c", Value: "back in global", File: "x.conf", Line: 8},
		{Key: "", Value: "no key", File: "x.conf", Line: 14},
		{Key: "tail", Value: "no newline at end", File: "x.conf", Line: 17},
	}
	if !reflect.DeepEqual(g.Items, want) {
		t.Fatalf("global items:\n got %+v\nwant %+v", g.Items, want)
	}
	s1 := ini.Section("s1")
	if s1 == nil || len(s1.Items) != 4 {
		t.Fatalf("section s1 = %+v, want 4 merged items", s1)
	}
	if it, _ := s1.Last("a"); it.Value != "last" || it.Line != 11 || it.Section != "s1" {
		t.Fatalf("s1.Last(a) = %+v", it)
	}
	if all := s1.All("a"); len(all) != 2 || all[0].Value != "in s1" {
		t.Fatalf("s1.All(a) = %+v", all)
	}
	if it, ok := s1.Last("empty"); !ok || it.Value != "" {
		t.Fatalf("empty value: %+v %v", it, ok)
	}
	if ini.Section("missing") != nil || len(ini.Sections()) != 2 {
		t.Fatalf("sections = %d", len(ini.Sections()))
	}
	if logs.count("without '='", "x.conf:4") != 1 {
		t.Fatalf("line without '=' not warned about:\n%s", logs)
	}
}

func TestParseINITruncatesLikeC(t *testing.T) {
	log, logs := testLogger()
	longKey := strings.Repeat("k", 70)
	longValue := strings.Repeat("v", 300)
	// C cuts key and value before trimming: the space after '=' counts.
	src := longKey + "=x\n" + "a= " + longValue + "\n" + strings.Repeat("n", 63) + " = y\n"
	ini, err := ParseINI("t.conf", []byte(src), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	items := ini.Global().Items
	if items[0].Key != strings.Repeat("k", 63) {
		t.Fatalf("key length %d, want 63", len(items[0].Key))
	}
	if items[1].Value != strings.Repeat("v", 254) {
		t.Fatalf("value length %d, want 254 (255 including the leading space)", len(items[1].Value))
	}
	if items[2].Key != strings.Repeat("n", 63) {
		t.Fatalf("a 63-byte key followed by a space must survive, got %d bytes", len(items[2].Key))
	}
	if logs.count("key longer than 63", "t.conf:1") != 1 || logs.count("value longer than 255", "t.conf:2") != 1 {
		t.Fatalf("truncations not warned about:\n%s", logs)
	}
}

func TestIncludeRelativeAbsoluteAndFileURL(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "rel.conf", "from_rel = 1\n[inc]\ninside = yes\n")
	abs := writeFile(t, dir, "sub/abs.conf", "from_abs = 2\n")
	writeFile(t, dir, "url.conf", "from_url = 3\n")
	main := writeFile(t, dir, "main.conf", "[before]\n"+
		"x = 1\n"+
		"#include rel.conf\n"+
		"after_rel = global\n"+
		"[before]\n"+
		"#INCLUDE\t"+abs+"\r\n"+
		"after_abs = global\n"+
		"#include file://url.conf\n")
	ini, err := LoadINI(main)
	if err != nil {
		t.Fatal(err)
	}
	g := ini.Global()
	for key, file := range map[string]string{
		"from_rel": filepath.Join(dir, "rel.conf"), "after_rel": main,
		"from_abs": abs, "after_abs": main, "from_url": filepath.Join(dir, "url.conf"),
	} {
		it, ok := g.Last(key)
		if !ok || it.File != file {
			t.Errorf("%s: got %+v, want it global from %s", key, it, file)
		}
	}
	if it, ok := ini.Section("inc").Last("inside"); !ok || it.Line != 3 {
		t.Errorf("[inc] inside the included file: %+v %v", it, ok)
	}
	if b := ini.Section("before"); len(b.Items) != 1 {
		t.Errorf("[before] got items after an include reset: %+v", b.Items)
	}
}

func TestIncludeErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.conf", "x=1\n#include b.conf\n")
	writeFile(t, dir, "b.conf", "\n\n#include a.conf\n")
	writeFile(t, dir, "bad_inner.conf", "ok=1\n#@if %{LOCAL_IP} in [10.0.0.1]\n")
	cases := []struct {
		name, content string
		want          []string
	}{
		{"missing", "a=1\n#include nope.conf\n", []string{"missing.conf:2", "nope.conf", "no such file"}},
		{"url", "#include http://example.com/x.conf\n", []string{"url.conf:1", "URL is not supported"}},
		{"https", "#include HTTPS://example.com/x.conf\n", []string{"https.conf:1", "URL is not supported"}},
		{"empty", "#include   \n", []string{"empty.conf:1", "without a file name"}},
		{"cycle", "#include a.conf\n", []string{"b.conf:3", "#include cycle", "a.conf -> "}},
		{"self", "\n#include self.conf\n", []string{"self.conf:2", "#include cycle"}},
		{"inner", "\n#include bad_inner.conf\n", []string{"bad_inner.conf:2", "#@if is not supported"}},
		{"dir", "#include .\n", []string{"dir.conf:1", "not a regular file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, c.name+".conf", c.content)
			_, err := LoadINI(p)
			wantErr(t, err, c.want...)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *Error", err)
			}
		})
	}
	_, err := LoadINI(filepath.Join(dir, "does-not-exist.conf"))
	wantErr(t, err, "does-not-exist.conf", "cannot read")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
}

func TestIncludeDepthLimit(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 20; i++ {
		writeFile(t, dir, "n"+string(rune('a'+i))+".conf", "#include n"+string(rune('a'+i+1))+".conf\n")
	}
	writeFile(t, dir, "n"+string(rune('a'+20))+".conf", "k=v\n")
	_, err := LoadINI(filepath.Join(dir, "na.conf"))
	wantErr(t, err, "np.conf:1", "nested more than 16 deep")
}

func TestNestedIncludeResolvesLikeC(t *testing.T) {
	dir := t.TempDir()
	// C resolves every include against the top file's directory.
	writeFile(t, dir, "common.conf", "from_top_dir = 1\n")
	writeFile(t, dir, "sub/level1.conf", "#include common.conf\n#include only_in_sub.conf\n")
	writeFile(t, dir, "sub/only_in_sub.conf", "from_sub = 2\n")
	main := writeFile(t, dir, "main.conf", "#include sub/level1.conf\n")
	log, logs := testLogger()
	ini, err := LoadINI(main, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := ini.Global().Last("from_top_dir"); it.File != filepath.Join(dir, "common.conf") {
		t.Fatalf("common.conf must come from the top directory, got %+v", it)
	}
	if _, ok := ini.Global().Last("from_sub"); !ok {
		t.Fatal("include relative to the including file not found")
	}
	if logs.count("relative to the including file", "level1.conf:2") != 1 {
		t.Fatalf("fallback include not warned about:\n%s", logs)
	}
}

func TestIndentedIncludeIsAComment(t *testing.T) {
	log, logs := testLogger()
	ini, err := ParseINI("x.conf", []byte("  #include missing.conf\n#includemissing.conf\nk=v\n"), WithLogger(log))
	if err != nil {
		t.Fatalf("indented #include must be a comment as in C: %v", err)
	}
	if len(ini.Global().Items) != 1 {
		t.Fatalf("items = %+v", ini.Global().Items)
	}
	if logs.count("indented #include", "x.conf:1") != 1 {
		t.Fatalf("not warned:\n%s", logs)
	}
}

func TestDirectivesAreRefused(t *testing.T) {
	for _, line := range []string{
		"#@set ip = 10.0.0.1",
		"#@if %{LOCAL_IP} in [10.0.0.1]",
		"#@else",
		"#@endif",
		"   #@for i from 0 to 3",
		"#@endfor",
		"#@function LOCAL_IP_GET",
		"#@FUNCTION\tSHELL_EXEC",
		"#@add_annotation x",
	} {
		_, err := ParseINI("d.conf", []byte("a=1\n"+line+"\nb=2\n"))
		word := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "#@"))[0]
		wantErr(t, err, "d.conf:2", "#@"+word, "not supported")
	}
	for _, line := range []string{"#@", "#@IF x", "#@elsewhere", "##@set x=1", "# @if"} {
		if _, err := ParseINI("d.conf", []byte(line+"\n")); err != nil {
			t.Errorf("%q is a comment for C, got %v", line, err)
		}
	}
}

func TestNULByteIsAnError(t *testing.T) {
	_, err := ParseINI("n.conf", []byte("a=1\nb=2\x00\nc=3\n"))
	wantErr(t, err, "n.conf:2", "NUL")
}

func TestReadFileHookAndFormatRoundTrip(t *testing.T) {
	files := map[string]string{"/etc/x/inc.conf": "[inc]\nz = 26\n"}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	src := "a = 1\n#include inc.conf\nb = 2\n[s]\nk = v = w\n"
	ini, err := ParseINI("/etc/x/main.conf", []byte(src), WithReadFile(read))
	if err != nil {
		t.Fatal(err)
	}
	out := ini.Format()
	want := "a=1\nb=2\n[inc]\nz=26\n[s]\nk=v = w\n"
	if string(out) != want {
		t.Fatalf("Format:\n%s\nwant:\n%s", out, want)
	}
	again, err := ParseINI("again.conf", out)
	if err != nil {
		t.Fatal(err)
	}
	if !sameItems(ini, again) {
		t.Fatalf("re-parse differs:\n%s\n%s", out, again.Format())
	}
}

// sameItems compares sections and key/value pairs, not positions.
func sameItems(a, b *INI) bool {
	if len(a.Sections()) != len(b.Sections()) {
		return false
	}
	for i, sa := range a.Sections() {
		sb := b.Sections()[i]
		if sa.Name != sb.Name || len(sa.Items) != len(sb.Items) {
			return false
		}
		for j := range sa.Items {
			if sa.Items[j].Key != sb.Items[j].Key || sa.Items[j].Value != sb.Items[j].Value {
				return false
			}
		}
	}
	return true
}

func TestEveryCSampleParses(t *testing.T) {
	for _, name := range []string{"tracker.conf", "storage.conf", "client.conf", "http.conf"} {
		p := cSample(t, name)
		ini, err := LoadINI(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, _ := os.ReadFile(p)
		// Every non-comment line with '=' became an item.
		want := 0
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(l)
			if l != "" && l[0] != '#' && strings.Contains(l, "=") {
				want++
			}
		}
		got := 0
		for _, s := range ini.Sections() {
			got += len(s.Items)
		}
		if got != want || want == 0 {
			t.Errorf("%s: %d items, want %d", name, got, want)
		}
	}
}
