// Names the calling thread (at most 15 characters; longer names are cut), so
// `top -H`, `ps -L` and perf show which accrue thread burns CPU or waits.
//
// Thread-safety: affects only the calling thread.
#ifndef ACCRUE_EVENTS_THREAD_NAME_H_
#define ACCRUE_EVENTS_THREAD_NAME_H_

#include <pthread.h>

#include <string>

namespace accrue::events {

inline constexpr std::size_t kMaxThreadNameBytes = 15;  // Linux's limit (16 with the NUL)

inline void NameThisThread(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, kMaxThreadNameBytes).c_str());
}

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_THREAD_NAME_H_
