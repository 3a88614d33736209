// Package conf reads FastDFS configuration files the way the C servers do:
// the libfastcommon ini dialect (#include, repeated keys, sections) and the
// typed tracker.conf, storage.conf, client.conf and storage_ids.conf with the
// defaults of the C code (cluster.md §6), which often differ from the values
// the shipped sample files set.
//
// Layers, bottom up:
//
//   - ParseINI / LoadINI: the dialect only. Every Item keeps its file and
//     line; single-value reads take the last occurrence, as C does.
//   - Value parsers (ParseCInt, ParseBool, ParseBytes, ParseReservedSpace,
//     ParseTimeOfDay) and the matching Item getters.
//   - Typed loaders (LoadTracker, LoadStorage, LoadClient, LoadStorageIDs and
//     their Parse* twins for in-memory files). They apply C's corrections
//     (a non-positive interval falls back to its default, a slot size is
//     clamped, ...), log a warning for each correction, and refuse what C
//     refuses with an *Error naming file:line. Keys they do not know are kept
//     (Origin.Unknown) and warned about once.
//
// Warnings go to the *slog.Logger given with WithLogger (slog.Default()
// otherwise). Nothing here touches the network; host names stay strings until
// a caller asks for Resolve. The package has no mutable global state.
package conf
