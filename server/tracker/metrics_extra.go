package tracker

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/metrics"
)

// newCommandTimes makes the request duration histograms of a tracker.
func newCommandTimes() *metrics.Commands {
	return metrics.NewCommands("gofdfs_tracker_request_duration_seconds",
		"Time from a request's packet to its reply, by command", codec.CmdName)
}

// describeExtra and collectExtra add the request duration histograms.
func (s *Server) describeExtra(ch chan<- *prometheus.Desc) { s.cmdTimes.Describe(ch) }

func (s *Server) collectExtra(ch chan<- prometheus.Metric) { s.cmdTimes.Collect(ch) }
