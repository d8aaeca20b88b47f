#include "events/event_store.h"

#include "events/envelope_codec.h"

namespace accrue::events {

Status EventStore::ReadStoredPage(uint64_t from_position, std::size_t max_count,
                                  StoredPage* page) {
  page->Clear();
  auto events = ReadAll(from_position, max_count);
  if (!events.ok()) return events.status();
  for (const RecordedEvent& e : events.value()) {
    const std::size_t offset = page->bytes.size();
    AppendStored(e, &page->bytes);
    page->entries.push_back(StoredPage::Entry{e.position, offset, page->bytes.size() - offset});
  }
  return Status::Ok();
}

}  // namespace accrue::events
