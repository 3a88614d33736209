package codec

import "testing"

// Golden values from C: libfastcommon's CRC32_ex + base64_encode with
// FastDFS's context, as fdfs_ip_to_shortcode calls them (a 10-line program
// linked against libfastcommon 1.0.86).
func TestIPShortCodeIsC(t *testing.T) {
	for ip, want := range map[string]string{
		"::1":                                    "6Jg1XQAAAAA.",
		"fd00:17::2":                             "Y19zfAAAAAA.",
		"2409:8a20:42d:2f40:587a:4c47:72c0:ad8e": "0EgUIgAAAAA.",
		"127.0.0.1":                              "VxhIKAAAAAA.",
	} {
		if got := IPShortCode(ip); got != want {
			t.Errorf("IPShortCode(%q) = %q, C gives %q", ip, got, want)
		}
	}
	if !IsIPv6Text("fd00::1") || IsIPv6Text("127.0.0.1") {
		t.Error("IsIPv6Text")
	}
}
