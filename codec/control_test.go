package codec

import (
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// ACTIVE_TEST and QUIT are header-only both ways; QUIT has no reply.
func init() {
	registerGolden(CmdActiveTest, func(t *testing.T, e *capture.Exchange) {
		if len(e.Request.Body) != 0 {
			t.Errorf("%s: ACTIVE_TEST with a body", e)
		}
		if okReply(t, e) && len(e.Reply.Body) != 0 {
			t.Errorf("%s: ACTIVE_TEST reply with a body", e)
		}
	})
	registerGolden(CmdQuit, func(t *testing.T, e *capture.Exchange) {
		if len(e.Request.Body) != 0 || e.Reply != nil {
			t.Errorf("%s: QUIT with a body or a reply", e)
		}
	})
}
