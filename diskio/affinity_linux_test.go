package diskio

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func cpus(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestAffinityPlan(t *testing.T) {
	cases := []struct {
		name    string
		info    CPUInfo
		workers int
		want    [][]int
	}{
		{"16 threads on 8 cores, 4 workers", CPUInfo{Usable: cpus(16), PhysicalCores: 8, ThreadsPerCore: 2}, 4,
			[][]int{{15}, {14}, {13}, {12}}},
		{"more than half the cores", CPUInfo{Usable: cpus(16), PhysicalCores: 8, ThreadsPerCore: 2}, 5, nil},
		{"this machine's size: 2 cores", CPUInfo{Usable: cpus(2), PhysicalCores: 2, ThreadsPerCore: 1}, 1, nil},
		{"4 cores, 2 workers", CPUInfo{Usable: cpus(4), PhysicalCores: 4, ThreadsPerCore: 1}, 2, [][]int{{3}, {2}}},
		{"cpuid unknown: count threads", CPUInfo{Usable: cpus(8), ThreadsPerCore: 1}, 4, [][]int{{7}, {6}, {5}, {4}}},
		{"restricted mask", CPUInfo{Usable: []int{0, 1, 2, 3, 8, 9, 10, 11}, PhysicalCores: 32, ThreadsPerCore: 1}, 2,
			[][]int{{11}, {10}}},
		{"mask smaller than cpuid says", CPUInfo{Usable: cpus(3), PhysicalCores: 32, ThreadsPerCore: 1}, 1, nil},
		{"no workers", CPUInfo{Usable: cpus(64), PhysicalCores: 64, ThreadsPerCore: 1}, 0, nil},
	}
	for _, c := range cases {
		got := c.info.Plan(c.workers)
		if !slices.EqualFunc(got, c.want, slices.Equal[[]int]) || (got == nil) != (c.want == nil) {
			t.Errorf("%s: Plan(%d) = %v, want %v", c.name, c.workers, got, c.want)
		}
	}
}

func TestDetectCPUs(t *testing.T) {
	info, err := DetectCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Usable) == 0 || info.ThreadsPerCore < 1 || info.Cores() < 1 {
		t.Fatalf("%+v", info)
	}
	t.Logf("usable %v, cpuid physical %d logical %d threads/core %d, plan(1) %v",
		info.Usable, info.PhysicalCores, info.LogicalCores, info.ThreadsPerCore, info.Plan(1))
}

func TestWorkerPinned(t *testing.T) {
	info, err := DetectCPUs()
	if err != nil {
		t.Fatal(err)
	}
	cpu := info.Usable[len(info.Usable)-1]
	w := newWorker(t, WorkerOptions{CPUs: []int{cpu}})
	got := make(chan unix.CPUSet, 1)
	w.Do(func(error) {
		var set unix.CPUSet
		unix.SchedGetaffinity(0, &set)
		got <- set
	})
	set := <-got
	if set.Count() != 1 || !set.IsSet(cpu) {
		t.Errorf("worker thread may run on %d CPUs (cpu %d set: %v)", set.Count(), cpu, set.IsSet(cpu))
	}
	// The pin stays on the worker's thread: this goroutine is unaffected.
	var mine unix.CPUSet
	unix.SchedGetaffinity(0, &mine)
	if mine.Count() != len(info.Usable) {
		t.Errorf("caller's mask changed to %d CPUs", mine.Count())
	}

	if _, err := NewWorker(WorkerOptions{Name: "bad", CPUs: []int{1 << 20}}); err == nil {
		t.Error("impossible CPU accepted")
	}
}

func TestWorkerGroupPick(t *testing.T) {
	g, err := NewWorkerGroup(3, WorkerOptions{Name: "sp0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if len(g.Workers()) != 3 || g.Workers()[2].Name() != "sp0#2" {
		t.Fatalf("workers %d, name %q", len(g.Workers()), g.Workers()[2].Name())
	}
	// Idle workers share the work round robin.
	seen := map[*Worker]bool{}
	for range 3 {
		seen[g.Pick()] = true
	}
	if len(seen) != 3 {
		t.Errorf("3 picks of idle workers hit %d workers", len(seen))
	}
	// A busy worker is avoided while others are idle.
	busy := g.Workers()[1]
	entered, release := make(chan struct{}), make(chan struct{})
	busy.Do(func(error) { close(entered); <-release })
	<-entered
	picked := 0
	for range 10 {
		if g.Pick() == busy {
			picked++
		}
	}
	close(release)
	if picked > 0 {
		t.Errorf("picked the busy worker %d times of 10", picked)
	}
	for busy.Active() != 0 {
		time.Sleep(time.Millisecond)
	}

	if _, err := NewWorkerGroup(0, WorkerOptions{}, nil); err == nil {
		t.Error("empty group accepted")
	}
	if _, err := NewWorkerGroup(2, WorkerOptions{}, [][]int{{0}}); err == nil {
		t.Error("CPU plan of the wrong length accepted")
	}
}
