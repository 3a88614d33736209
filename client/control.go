package client

import (
	"context"

	"github.com/gofdfs/gofdfs/codec"
)

// ActiveTest checks that the tracker or storage at addr answers (ACTIVE_TEST).
func (c *Client) ActiveTest(ctx context.Context, addr string) error {
	return c.on(ctx, addr, func(cn *conn) error { return cn.activeTest(ctx) })
}

func (cn *conn) activeTest(ctx context.Context) error {
	const op = "ACTIVE_TEST"
	if err := cn.Send(ctx, codec.CmdActiveTest, 0, nil, nil, 0); err != nil {
		return err
	}
	h, err := cn.RecvHeader(ctx, op)
	if err != nil {
		return err
	}
	if h.Status != 0 {
		return cn.StatusErr(h, op, "")
	}
	if h.BodyLen != 0 {
		cn.Broken = true
		return &ProtocolError{Op: op, Addr: cn.Peer, Reason: "reply has a body"}
	}
	return nil
}
