package conf

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitsVerify runs `systemd-analyze verify` on the units of
// conf/systemd. The ExecStart binary must exist for verify, so it is
// pointed at this test's own executable (the daemons need not be installed).
func TestSystemdUnitsVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skipf("systemd-analyze is not installed (Debian package systemd): %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var units []string
	for _, name := range []string{"fdfs_trackerd.service", "fdfs_storaged.service"} {
		b, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, want := range []string{"ExecStart=/usr/bin/" + strings.TrimSuffix(name, ".service") + " /etc/fdfs/",
			" start --foreground\n", "Type=exec\n", "WantedBy=multi-user.target\n"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s has no %q", name, want)
			}
		}
		text = strings.Replace(text, "/usr/bin/"+strings.TrimSuffix(name, ".service"), self, 1)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		units = append(units, p)
	}
	out, err := exec.Command(sa, append([]string{"verify", "--man=no"}, units...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
