package diskio

import (
	"os"

	"github.com/klauspost/cpuid/v2"
	"golang.org/x/sys/unix"
)

// CPUInfo is what the machine offers this process for pinning workers.
type CPUInfo struct {
	Usable         []int // CPUs in the process's affinity mask, ascending
	PhysicalCores  int   // from cpuid; 0 if unknown
	ThreadsPerCore int   // from cpuid; 1 if unknown
	LogicalCores   int   // from cpuid; 0 if unknown
}

// DetectCPUs reads the affinity mask of the calling thread (the process's
// unless someone pinned it) and the core counts from cpuid.
func DetectCPUs() (CPUInfo, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return CPUInfo{}, os.NewSyscallError("sched_getaffinity", err)
	}
	info := CPUInfo{
		PhysicalCores:  cpuid.CPU.PhysicalCores,
		ThreadsPerCore: max(cpuid.CPU.ThreadsPerCore, 1),
		LogicalCores:   cpuid.CPU.LogicalCores,
	}
	for cpu := range len(set) * 64 {
		if set.IsSet(cpu) {
			info.Usable = append(info.Usable, cpu)
		}
	}
	return info, nil
}

// Cores is the number of physical cores this process may use: the usable
// CPUs divided by the threads per core, capped by cpuid's physical count.
func (c CPUInfo) Cores() int {
	cores := len(c.Usable) / max(c.ThreadsPerCore, 1)
	if c.PhysicalCores > 0 {
		cores = min(cores, c.PhysicalCores)
	}
	return max(cores, 1)
}

// Plan decides where each of workers disk workers (all store paths
// together) runs. nil means "do not pin": let the scheduler place them.
//
// The rule: pin only when the machine has at least 4 usable physical
// cores and the workers take at most half of them. Disk workers spend most
// of their time blocked in syscalls; pinning pays off only when a core can
// be theirs without starving the event loops (one per CPU), the GC and the
// sync goroutines. On a small or crowded machine a pinned worker would just
// queue behind a loop on the same CPU, so it is left to the scheduler.
//
// When pinning, worker i gets the i-th highest usable CPU. Linux numbers
// the first hardware thread of every core before the second ones, so the
// top CPUs are on distinct cores, and they are the ones the scheduler
// fills last.
func (c CPUInfo) Plan(workers int) [][]int {
	cores := c.Cores()
	if workers <= 0 || cores < 4 || workers > cores/2 || workers > len(c.Usable) {
		return nil
	}
	plan := make([][]int, workers)
	for i := range plan {
		plan[i] = []int{c.Usable[len(c.Usable)-1-i]}
	}
	return plan
}

// PlanAffinity is DetectCPUs followed by Plan.
func PlanAffinity(workers int) ([][]int, error) {
	info, err := DetectCPUs()
	if err != nil {
		return nil, err
	}
	return info.Plan(workers), nil
}

// pinThread restricts the calling OS thread to cpus. The caller must hold
// runtime.LockOSThread for good: see Worker.run.
func pinThread(cpus []int) error {
	var set unix.CPUSet
	set.Zero()
	for _, c := range cpus {
		if c < 0 || c >= len(set)*64 {
			return os.NewSyscallError("sched_setaffinity", unix.EINVAL)
		}
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return os.NewSyscallError("sched_setaffinity", err)
	}
	return nil
}
