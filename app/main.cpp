#include "app/cli.h"

// jemalloc's options, read once at start (docs/decisions/0007-memory-allocator.md):
// transparent huge pages for its arenas and metadata. A command's memtables and
// buffers then fault in 2 MiB at a time instead of 4 KiB (a `bench post` run
// took ~130 k page faults, each a trap out of this VM), and an environment
// MALLOC_CONF still overrides it. Ignored when jemalloc is not linked (sanitizers).
extern "C" const char* malloc_conf;
const char* malloc_conf = "thp:always,metadata_thp:always";

int main(int argc, char** argv) { return accrue::app::Main(argc, argv); }
