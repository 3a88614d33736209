package daemon

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestAliveSeesAZombieAsExited(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	reaped := false
	defer func() {
		if !reaped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	if !Alive(pid) {
		t.Fatal("a running child is not alive")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// not reaped yet: a zombie, which kill(pid, 0) still finds
	deadline := time.Now().Add(10 * time.Second)
	for Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatal("a killed child still alive after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if syscall.Kill(pid, 0) != nil {
		t.Fatal("the zombie is gone before Wait: the test proves nothing")
	}
	cmd.Wait()
	reaped = true
	if Alive(pid) {
		t.Fatal("a reaped child is alive")
	}
}

func TestProcState(t *testing.T) {
	for _, c := range []struct {
		stat string
		want byte
	}{
		{"27687 (fdfs_storaged) S 1 27687", 'S'},
		{"42 (a) b) Z 1 42", 'Z'}, // a command name holding ") "
		{"garbage", 0},
		{"1 (x)", 0},
	} {
		if got := procState([]byte(c.stat)); got != c.want {
			t.Errorf("procState(%q) = %q, want %q", c.stat, got, c.want)
		}
	}
}
