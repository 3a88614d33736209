package storage

import (
	"reflect"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// TestCommandTableComplete checks each entry of the command table carries
// what its framing class calls: a half-filled entry would otherwise show
// only as a nil call (a panic on the loop) when a client sends it.
func TestCommandTableComplete(t *testing.T) {
	same := func(a, b any) bool { return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() }
	known := 0
	for i := range commands {
		cmd := &commands[i]
		name := codec.CmdName(byte(i))
		if cmd.frame == nil {
			if cmd.decode != nil || cmd.fixedLen != nil || cmd.decodeFixed != nil || cmd.work != nil || cmd.appenderOnly {
				t.Errorf("command %d (%s): parts without a frame", i, name)
			}
			continue
		}
		known++
		whole := same(cmd.frame, (*Server).handleWhole)
		stream := same(cmd.frame, (*Server).handleStream)
		if whole != (cmd.decode != nil) || (cmd.appenderOnly && !whole) {
			t.Errorf("command %d (%s): decode and appenderOnly are for handleWhole, and it needs decode", i, name)
		}
		if stream != (cmd.fixedLen != nil) || stream != (cmd.decodeFixed != nil) {
			t.Errorf("command %d (%s): fixedLen and decodeFixed are for handleStream, and it needs both", i, name)
		}
		if (whole || stream) && cmd.work == nil {
			t.Errorf("command %d (%s): %s submits to a worker, but there is no work step", i, name,
				map[bool]string{true: "handleWhole", false: "handleStream"}[whole])
		}
	}
	if known == 0 {
		t.Fatal("the command table is empty")
	}
}
