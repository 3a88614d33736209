package conf

import (
	"embed"
	"io/fs"
)

// The sample confs for a one-machine setup: tracker, storage and client on
// 127.0.0.1 with data under ./run/ (`make run` copies them and points the
// paths at its run directory).
//
//go:embed tracker.conf storage.conf client.conf
var samples embed.FS

// Samples is a read-only file system holding tracker.conf, storage.conf and
// client.conf.
func Samples() fs.FS { return samples }

// SampleTracker returns a copy of the sample tracker.conf.
func SampleTracker() []byte { return sample("tracker.conf") }

// SampleStorage returns a copy of the sample storage.conf.
func SampleStorage() []byte { return sample("storage.conf") }

// SampleClient returns a copy of the sample client.conf.
func SampleClient() []byte { return sample("client.conf") }

func sample(name string) []byte {
	data, err := samples.ReadFile(name)
	if err != nil {
		panic("conf: embedded sample " + name + " missing: " + err.Error()) // cannot happen: go:embed checked it at build time
	}
	return data
}
