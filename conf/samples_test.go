package conf

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestOurSamplesParse(t *testing.T) {
	log, logs := testLogger()

	tr, err := ParseTracker("conf/tracker.conf", SampleTracker(), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if tr.BindAddr != "127.0.0.1" || tr.Port != 22122 || tr.BasePath != "./run/tracker" ||
		tr.StoreLookup != StoreLookupLoadBalance || tr.ReservedStorageSpace.String() != "1024MB" ||
		tr.CheckActiveInterval != 120*time.Second || tr.ResponseListDialect != "v6.16" {
		t.Errorf("tracker sample: %+v", tr)
	}

	st, err := ParseStorage("conf/storage.conf", SampleStorage(), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if st.GroupName != "group1" || st.BindAddr != "127.0.0.1" || st.Port != 23000 || st.BasePath != "./run/storage" ||
		!reflect.DeepEqual(st.StorePaths, []StorePath{{Path: "./run/storage", Item: st.StorePaths[0].Item}}) ||
		len(st.TrackerServers) != 1 || st.TrackerServers[0].String() != "127.0.0.1:22122" ||
		st.HeartBeatInterval != 30*time.Second || st.StatReportInterval != 60*time.Second {
		t.Errorf("storage sample: %+v", st)
	}
	// The storage must reach the tracker where the tracker listens.
	if st.TrackerServers[0].Hosts[0] != tr.BindAddr || st.TrackerServers[0].Port != tr.Port {
		t.Errorf("storage points at %s, tracker listens on %s:%d", st.TrackerServers[0], tr.BindAddr, tr.Port)
	}

	cl, err := ParseClient("conf/client.conf", SampleClient(), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if cl.BasePath != "./run/client" || cl.TrackerServers[0].String() != "127.0.0.1:22122" ||
		cl.ConnectTimeout != 5*time.Second || cl.NetworkTimeout != 60*time.Second {
		t.Errorf("client sample: %+v", cl)
	}

	for _, o := range []Origin{tr.Origin, st.Origin, cl.Origin} {
		if len(o.Unknown()) != 0 {
			t.Errorf("%s: unknown keys %+v", o.File(), o.Unknown())
		}
	}
	if logs.String() != "" {
		t.Errorf("our samples must load without warnings:\n%s", logs)
	}
}

func TestSamplesFS(t *testing.T) {
	var names []string
	err := fs.WalkDir(Samples(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil || !reflect.DeepEqual(names, []string{"client.conf", "storage.conf", "tracker.conf"}) {
		t.Fatalf("Samples() = %v, %v", names, err)
	}
	// The byte accessors hand out copies.
	b := SampleTracker()
	b[0] = 'X'
	if SampleTracker()[0] == 'X' || !strings.HasPrefix(string(SampleStorage()), "#") || len(SampleClient()) == 0 {
		t.Error("sample accessors must return fresh copies")
	}
}
