// What a process does when a read of a mapped log file fails.
//
// Read-only and secondary opens of the event log map its table files
// (events/rocks_log.cpp, allow_mmap_reads: `log verify` ~15% faster). A read
// error under a mapping (a failing disk, EIO; a table file truncated under the
// reader) is not a status RocksDB can return: the kernel delivers SIGBUS. Left
// alone that kills the process with no word. The handler turns it into the
// CLI's "failure to run": one line on stderr saying what happened and what to
// do, then exit code 2 (contract.md). Nothing is half-written: the processes
// that map (verify, stat, dump, inspect, the projector's reader) never write
// to the log.
//
// Thread-safety: install once, early in main; the handler is async-signal-safe
// (write(2) and _exit(2) only).
#ifndef ACCRUE_APP_MAPPED_READ_FAULT_H_
#define ACCRUE_APP_MAPPED_READ_FAULT_H_

namespace accrue::app {

// The line the handler prints on stderr before exiting with kExitUsage.
inline constexpr char kMappedReadFaultMessage[] =
    "accrue: I/O error reading a mapped event log file (SIGBUS): the disk or the file "
    "failed under a reader; nothing was written. Check the disk (dmesg), then run "
    "`accrue log verify` on the log or on a backup copy.\n";

// Installs the SIGBUS handler for this process.
void InstallMappedReadFaultHandler();

}  // namespace accrue::app

#endif  // ACCRUE_APP_MAPPED_READ_FAULT_H_
