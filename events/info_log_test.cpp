// events/info_log.h: RocksDB's diagnostic LOG never takes the process down. On a
// full disk RocksDB's own logger asserted on its next line (SIGABRT in `post`
// and `serve`, 2026-12-06); /dev/full stands in for the full disk here.
#include "events/info_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace accrue::events {
namespace {

std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/info-log-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(InfoLog, WritesLinesWithTimeAndLevel) {
  const std::string dir = TempDir("lines");
  {
    InfoLog log(dir);
    rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, std::shared_ptr<rocksdb::Logger>(&log, [](auto*) {}),
                 "flush of %s failed: %d", "events", 28);
    rocksdb::Log(rocksdb::InfoLogLevel::DEBUG_LEVEL, std::shared_ptr<rocksdb::Logger>(&log, [](auto*) {}),
                 "below the level");
    EXPECT_EQ(log.dropped_lines(), 0u);
  }
  const std::string text = Read(dir + "/LOG");
  EXPECT_NE(text.find("Z [WARN] flush of events failed: 28\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("below the level"), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

TEST(InfoLog, AFullDiskDropsLinesAndNeverAborts) {
  const std::string dir = TempDir("full");
  std::filesystem::create_symlink("/dev/full", dir + "/LOG");  // every write: ENOSPC
  InfoLog log(dir);
  auto shared = std::shared_ptr<rocksdb::Logger>(&log, [](auto*) {});
  for (int i = 0; i < 100; ++i) rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, shared, "line %d", i);
  EXPECT_EQ(log.dropped_lines(), 100u);
  std::filesystem::remove_all(dir);
}

TEST(InfoLog, AMissingDirectoryIsRetriedAndLongLinesAreCut) {
  const std::string dir = TempDir("late") + "/not-yet";  // RocksDB creates the log dir at open
  InfoLog log(dir);
  auto shared = std::shared_ptr<rocksdb::Logger>(&log, [](auto*) {});
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, shared, "before");
  EXPECT_EQ(log.dropped_lines(), 1u);
  std::filesystem::create_directories(dir);
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, shared, "after %s", std::string(3 * kMaxInfoLogLineBytes, 'x').c_str());
  EXPECT_EQ(log.dropped_lines(), 1u);
  const std::string text = Read(dir + "/LOG");
  EXPECT_EQ(text.size(), kMaxInfoLogLineBytes - 1);  // cut, newline kept
  EXPECT_EQ(text.back(), '\n');
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

}  // namespace
}  // namespace accrue::events
