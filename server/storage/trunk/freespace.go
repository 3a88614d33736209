package trunk

import (
	"slices"

	"github.com/gofdfs/gofdfs/codec"
)

// freeSpace is the trunk server's free-space tree: free slots by place,
// and per store path by size, with C's order inside one size (the slot
// added last is tried first), so allocation picks the slot C would pick.
// Held slots (allocated, not yet confirmed) stay in it, marked.
type freeSpace struct {
	slots  map[slotKey]*freeSlot
	bySize map[byte]*sizeIndex // per store path
	bytes  int64
}

type freeSlot struct {
	size int32
	hold bool
}

type sizeIndex struct {
	sizes  []int32             // ascending
	chains map[int32][]slotKey // the last element is the chain's head
}

func newFreeSpace() freeSpace {
	return freeSpace{slots: map[slotKey]*freeSlot{}, bySize: map[byte]*sizeIndex{}}
}

// has reports a slot at this place.
func (f *freeSpace) has(k slotKey) bool { _, ok := f.slots[k]; return ok }

// add puts a slot in (the caller checked it is not there).
func (f *freeSpace) add(k slotKey, size int32, hold bool) {
	f.slots[k] = &freeSlot{size: size, hold: hold}
	f.bytes += int64(size)
	idx := f.bySize[k.path]
	if idx == nil {
		idx = &sizeIndex{chains: map[int32][]slotKey{}}
		f.bySize[k.path] = idx
	}
	chain, ok := idx.chains[size]
	if !ok {
		i, _ := slices.BinarySearch(idx.sizes, size)
		idx.sizes = slices.Insert(idx.sizes, i, size)
	}
	idx.chains[size] = append(chain, k)
}

// remove takes the slot at k of this size out; false if there is none.
func (f *freeSpace) remove(k slotKey, size int32) bool {
	sl, ok := f.slots[k]
	if !ok || sl.size != size {
		return false
	}
	delete(f.slots, k)
	f.bytes -= int64(size)
	idx := f.bySize[k.path]
	chain := idx.chains[size]
	if i := slices.Index(chain, k); i >= 0 {
		chain = slices.Delete(chain, i, i+1)
	}
	if len(chain) == 0 {
		delete(idx.chains, size)
		if i, found := slices.BinarySearch(idx.sizes, size); found {
			idx.sizes = slices.Delete(idx.sizes, i, i+1)
		}
	} else {
		idx.chains[size] = chain
	}
	return true
}

// fit is the free (not held) slot C's allocator takes for size bytes on a
// store path: the smallest size at least as large, newest first.
func (f *freeSpace) fit(path byte, size int32) (slotKey, int32, bool) {
	idx := f.bySize[path]
	if idx == nil {
		return slotKey{}, 0, false
	}
	i, _ := slices.BinarySearch(idx.sizes, size)
	for ; i < len(idx.sizes); i++ {
		sz := idx.sizes[i]
		chain := idx.chains[sz]
		for j := len(chain) - 1; j >= 0; j-- {
			if !f.slots[chain[j]].hold {
				return chain[j], sz, true
			}
		}
	}
	return slotKey{}, 0, false
}

// list is every slot, held ones included.
func (f *freeSpace) list() []codec.TrunkInfo {
	out := make([]codec.TrunkInfo, 0, len(f.slots))
	for k, sl := range f.slots {
		out = append(out, k.info(sl.size))
	}
	slices.SortFunc(out, compareInfo)
	return out
}
