/* A full disk for a PostgreSQL server under test (projector_fault_test.sh diskfull).
 *
 * Preloaded into the throwaway cluster (scripts/pgtmp.sh, PGTMP_PRELOAD): while the
 * file named by ACCRUE_PG_DISK_FULL_FLAG exists, every pwrite() that would grow a
 * file under the cluster's base/ directory (a table, an index, a temp file) fails
 * with ENOSPC, as on a full volume. PostgreSQL 15 extends relations one block at a
 * time with pwrite (mdextend), so the statement fails with SQLSTATE 53100 "could
 * not extend file ...: No space left on device", exactly what a real full disk
 * gives. Writes inside a file's current size (dirty pages written back) and the WAL
 * (pg_wal/) are left alone: a full disk under the WAL is a server crash, which the
 * `pgcrash` mode covers.
 *
 * Test-only: built without sanitizers (a sanitizer runtime cannot be preloaded into
 * an uninstrumented server). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*PwriteFn)(int, const void*, size_t, off_t);

enum { kPathMax = 4096, kLinkMax = 64 };

static int WouldGrowADataFileOnAFullDisk(int fd, size_t count, off_t offset) {
  const char* flag = getenv("ACCRUE_PG_DISK_FULL_FLAG");
  if (flag == NULL || access(flag, F_OK) != 0) return 0;
  char link[kLinkMax];
  char path[kPathMax];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  if (strstr(path, "/base/") == NULL) return 0;
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  return offset + (off_t)count > st.st_size;
}

static ssize_t RealPwrite(int fd, const void* buf, size_t count, off_t offset) {
  static PwriteFn real = NULL;
  if (real == NULL) real = (PwriteFn)dlsym(RTLD_NEXT, "pwrite");
  return real(fd, buf, count, offset);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  if (WouldGrowADataFileOnAFullDisk(fd, count, offset)) {
    errno = ENOSPC;
    return -1;
  }
  return RealPwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  return pwrite(fd, buf, count, offset);
}
