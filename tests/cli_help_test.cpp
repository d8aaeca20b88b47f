// `accrue COMMAND --help` (docs/cli.md "--help"): every subcommand of contract.md's
// CLI explains itself on stdout and exits 0, including the two that arrive with
// later issues, which still exit 2 when run.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include <unistd.h>

#include "tests/process_util.h"

namespace accrue {
namespace {

std::string Accrue(const std::string& args) { return std::string(ACCRUE_BINARY) + " " + args; }

// A shell command that flips the byte in the middle of the file `path` (a shell word).
std::string FlipMiddleByte(const std::string& path) {
  return "python3 -c \"import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0xff; "
         "open(p,'wb').write(b)\" " + path;
}

// A shell loop over the table files of the log in `dir`: for each, a fresh copy of
// the log at DIR-c with that one file damaged (FlipMiddleByte), then `per_copy`
// (which may name $f, the file); the copy is removed at the end.
std::string ForEachCopyWithOneDamagedTableFile(const std::string& dir, const std::string& per_copy) {
  return "for f in $(cd " + dir + " && ls *.sst); do rm -rf " + dir + "-c && cp -a " + dir + " " + dir + "-c && " +
         FlipMiddleByte(dir + "-c/$f") + " && " + per_copy + "; done; rm -rf " + dir + "-c";
}

// Writes `count` open_account commands (keys k1.., accounts a1..) to `file`.
void WriteOpenAccounts(const std::string& file, int count) {
  testing::RunCommand("for i in $(seq 1 " + std::to_string(count) +
                      "); do printf '{\"command\":\"open_account\",\"idempotency_key\":"
                      "\"k%s\",\"account_id\":\"a%s\",\"currency\":\"USD\",\"timezone\":\"UTC\"}\\n' $i $i; "
                      "done > " + file);
}

// A scratch log for one test: `dir` (the log) and `file` (its commands), named
// after the test and this process. Posted() writes `count` open_account commands
// and posts them; everything named dir* is removed at the end of the test.
struct ScratchLog {
  explicit ScratchLog(const std::string& name)
      : dir(::testing::TempDir() + "/cli-" + name + "-" + std::to_string(::getpid())), file(dir + ".jsonl") {}
  ~ScratchLog() { testing::RunCommand("rm -rf " + dir + " " + dir + ".* " + dir + "-c"); }
  bool Posted(int count) const {
    WriteOpenAccounts(file, count);
    return testing::RunCommand(Accrue("--data " + dir + " post " + file + " > /dev/null")).exit_code == 0;
  }
  const std::string dir;
  const std::string file;
};

TEST(CliHelpTest, EverySubcommandPrintsItsUsageAndExitsZero) {
  for (const char* name : {"post", "inspect", "log", "serve", "tokens", "project", "reconcile",
                           "cutover", "version"}) {
    auto run = testing::RunCommand(Accrue(std::string(name) + " --help"));
    EXPECT_EQ(run.exit_code, 0) << name << ": " << run.out;
    EXPECT_EQ(run.out.rfind("Usage: accrue", 0), 0u) << name << ": " << run.out;
  }
}

TEST(CliHelpTest, CommandsOfLaterIssuesSaySoAndExitTwo) {
  for (const char* name : {"reconcile", "cutover"}) {
    auto help = testing::RunCommand(Accrue(std::string(name) + " --help"));
    EXPECT_NE(help.out.find("not in this build yet"), std::string::npos) << help.out;
    auto run = testing::RunCommand(Accrue(name));
    EXPECT_EQ(run.exit_code, 2) << name << ": " << run.out;
  }
}

TEST(CliHelpTest, TopLevelHelpListsEveryCommand) {
  auto run = testing::RunCommand(Accrue("--help"));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  for (const char* name : {"post FILE", "inspect account", "log verify", "serve --listen", "tokens add",
                           "project --pg", "reconcile", "cutover", "bench", "version"}) {
    EXPECT_NE(run.out.find(name), std::string::npos) << name;
  }
}

// An id given on the command line need not be UTF-8, but the not_found line that
// quotes it is JSON (contract.md), so the bad byte prints as U+FFFD.
TEST(CliOutputTest, InspectOfAnIdThatIsNotUtf8PrintsValidJson) {
  const std::string dir = ::testing::TempDir() + "/cli-output-" + std::to_string(::getpid());
  auto post = testing::RunCommand("printf '%s\\n' '{\"command\":\"open_account\",\"idempotency_key\":\"k\","
                                  "\"account_id\":\"a\",\"currency\":\"USD\",\"timezone\":\"UTC\"}' | " +
                                  Accrue("--data " + dir + " post -"));
  ASSERT_EQ(post.exit_code, 0) << post.out;
  auto run = testing::RunCommand(Accrue("--data " + dir + " inspect account \"$(printf 'a\\351')\""));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "{\"error\":{\"code\":\"not_found\",\"message\":\"account \\\"a\xef\xbf\xbd\\\" not found\"}}\n");
  testing::RunCommand("rm -rf " + dir);
}

// Results that cannot be written stop post with exit 2 and say so (it exited 0
// with every result lost); the commands stay durable and replay on a re-post.
TEST(CliOutputTest, PostWhoseResultsCannotBeWrittenExitsTwo) {
  const std::string dir = ::testing::TempDir() + "/cli-full-" + std::to_string(::getpid());
  const std::string file = dir + ".jsonl";
  testing::RunCommand("printf '%s\\n' '{\"command\":\"open_account\",\"idempotency_key\":\"k\","
                      "\"account_id\":\"a\",\"currency\":\"USD\",\"timezone\":\"UTC\"}' > " + file);
  auto full = testing::RunCommand(Accrue("--data " + dir + " post " + file + " 2>&1 >/dev/full"));
  EXPECT_EQ(full.exit_code, 2) << full.out;
  EXPECT_NE(full.out.find("cannot write the results"), std::string::npos) << full.out;
  auto again = testing::RunCommand(Accrue("--data " + dir + " post " + file));
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("\"replayed\":true"), std::string::npos) << again.out;
  testing::RunCommand("rm -rf " + dir + " " + file);
}

// A command whose append fails (here the WAL reaches the file size limit, EFBIG,
// as a full disk would stop it) stops post: its line says "failed", stderr says
// where post stopped, exit 2. Posting the same file again carries on exactly once:
// every line gets its result, the earlier ones as replays, and the log holds each
// command's event once (cli.md "accrue post"; docs/runbooks/log-write-failures.md).
TEST(CliOutputTest, PostStoppedByAFailedAppendCarriesOnExactlyOnce) {
  const ScratchLog log("fsize");  // removed with its .err/.rc side files at the end
  const std::string& dir = log.dir;
  const std::string& file = log.file;
  constexpr int kCommands = 4000;  // ~2 MB of WAL, well past the 256 KiB limit below
  WriteOpenAccounts(file, kCommands);
  auto limited = testing::RunCommand("trap '' XFSZ; ulimit -f 256; " + Accrue("--data " + dir + " post " + file) +
                                     " 2>" + dir + ".err; echo \"exit=$?\"; cat " + dir + ".err");
  EXPECT_NE(limited.out.find("\"status\":\"failed\",\"error\":{\"code\":\"unavailable\""), std::string::npos)
      << limited.out.substr(0, 2000);
  EXPECT_NE(limited.out.find("exit=2"), std::string::npos);
  EXPECT_NE(limited.out.find("accrue: post: stopped at result"), std::string::npos);
  auto again = testing::RunCommand(Accrue("--data " + dir + " post " + file + " | grep -c '\"status\":\"accepted\"'"));
  EXPECT_EQ(again.out, std::to_string(kCommands) + "\n");
  auto replays = testing::RunCommand(Accrue("--data " + dir + " post " + file + " | grep -c '\"replayed\":true'"));
  EXPECT_EQ(replays.out, std::to_string(kCommands) + "\n");
  auto verify = testing::RunCommand(Accrue("--data " + dir + " log verify"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("ok: " + std::to_string(kCommands) + " events"), std::string::npos) << verify.out;
}

// A reader that goes away (`post f | head -1`) stops post with exit 2, not a
// silent exit 0 or death by SIGPIPE; the commands stay durable and replay.
TEST(CliOutputTest, PostIntoAClosedPipeExitsTwo) {
  const ScratchLog log("pipe");  // removed with its .err/.rc side files at the end
  const std::string& dir = log.dir;
  const std::string& file = log.file;
  WriteOpenAccounts(file, 3000);
  auto piped = testing::RunCommand("{ " + Accrue("--data " + dir + " post " + file) + " 2>" + dir +
                                   ".err; echo $? > " + dir + ".rc; } | head -1 >/dev/null; cat " + dir + ".rc " +
                                   dir + ".err");
  EXPECT_EQ(piped.out.rfind("2\n", 0), 0u) << piped.out;
  EXPECT_NE(piped.out.find("cannot write the results to stdout"), std::string::npos) << piped.out;
  auto again = testing::RunCommand(Accrue("--data " + dir + " post " + file + " | grep -c '\"status\":\"accepted\"'"));
  EXPECT_EQ(again.out, "3000\n");
}

// A long post reports progress and a summary on stderr, never on stdout, where
// only the results go (cli.md "accrue post"); a short one keeps stderr quiet.
// `--progress 0` makes every 512 results "long". (The first progress line went
// to stdout: post had not set up logging.)
TEST(CliOutputTest, PostReportsProgressOnStderrOnlyWhenLong) {
  const std::string dir = ::testing::TempDir() + "/cli-progress-" + std::to_string(::getpid());
  const std::string file = dir + ".jsonl";
  WriteOpenAccounts(file, 1100);
  auto results = testing::RunCommand(Accrue("--data " + dir + " post --progress 0 " + file + " 2>/dev/null"));
  EXPECT_EQ(results.exit_code, 0) << results.out;
  EXPECT_EQ(results.out.find("post_"), std::string::npos) << results.out;
  auto log = testing::RunCommand(Accrue("--data " + dir + " post --progress 0 " + file + " 2>&1 >/dev/null"));
  EXPECT_EQ(log.exit_code, 0) << log.out;
  EXPECT_NE(log.out.find("post_progress results=512 accepted=512 rejected=0 replayed=512"), std::string::npos)
      << log.out;
  EXPECT_NE(log.out.find("post_done results=1100 accepted=1100 rejected=0 replayed=1100 failed=0"),
            std::string::npos) << log.out;
  auto quiet = testing::RunCommand(Accrue("--data " + dir + " post " + file + " 2>&1 >/dev/null"));
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out, "");
  auto bad = testing::RunCommand(Accrue("--data " + dir + " post --progress soon " + file + " 2>&1"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--progress needs whole seconds"), std::string::npos) << bad.out;
  testing::RunCommand("rm -rf " + dir + " " + file);
}

// `log dump` shows each payload decoded (cli.md "accrue log"), beside its bytes.
TEST(CliOutputTest, LogDumpShowsThePayloadDecoded) {
  const std::string dir = ::testing::TempDir() + "/cli-dump-" + std::to_string(::getpid());
  const std::string file = dir + ".jsonl";
  testing::RunCommand("printf '%s\\n' '{\"command\":\"open_account\",\"idempotency_key\":\"k\","
                      "\"account_id\":\"a\",\"currency\":\"USD\",\"timezone\":\"UTC\"}' > " + file);
  ASSERT_EQ(testing::RunCommand(Accrue("--data " + dir + " post " + file)).exit_code, 0);
  auto dump = testing::RunCommand(Accrue("--data " + dir + " log dump"));
  EXPECT_EQ(dump.exit_code, 0);
  EXPECT_NE(dump.out.find("\"type\":\"AccountOpened\""), std::string::npos) << dump.out;
  EXPECT_NE(dump.out.find("\"payload_base64\":\"Eg0KAWESA1VTRBoDVVRD\",\"payload\":{\"account_opened\":"
                          "{\"account_id\":\"a\",\"currency\":\"USD\",\"timezone\":\"UTC\"}}"),
            std::string::npos) << dump.out;
  testing::RunCommand("rm -rf " + dir + " " + file);
}

// A last line without a newline gets the same checks as any line (cli.md: a line
// over 1 MiB is invalid_json, "the line exceeds 1 MiB").
TEST(CliOutputTest, AnUnterminatedLastLineOver1MiBIsTooLong) {
  const std::string dir = ::testing::TempDir() + "/cli-long-" + std::to_string(::getpid());
  const std::string file = dir + ".jsonl";
  testing::RunCommand("{ printf '{\"x\":\"'; head -c 1048576 /dev/zero | tr '\\0' a; printf '\"}'; } > " + file);
  auto run = testing::RunCommand(Accrue("--data " + dir + " post " + file));
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_EQ(run.out, "{\"idempotency_key\":null,\"status\":\"rejected\",\"error\":{\"code\":\"invalid_json\","
                     "\"message\":\"the line exceeds 1 MiB\"}}\n");
  testing::RunCommand("rm -rf " + dir + " " + file);
}

// A damaged block is not "not found": inspect of an account whose events sit in
// a corrupt block of a table file says it cannot read the log and exits 2; it
// printed not_found (exit 1) as if the account did not exist (fault hunt,
// 2026-12-06). Every account either prints its state or fails that way.
TEST(CliOutputTest, InspectOnACorruptTableFileFailsInsteadOfNotFound) {
  const std::string dir = ::testing::TempDir() + "/cli-corrupt-" + std::to_string(::getpid());
  const std::string file = dir + ".jsonl";
  auto post = testing::RunCommand(
      "for i in $(seq 100 399); do printf '{\"command\":\"open_account\",\"idempotency_key\":\"k%s\","
      "\"account_id\":\"acct-%s\",\"currency\":\"USD\",\"timezone\":\"UTC\"}\\n' $i $i; done > " + file +
      " && " + Accrue("--data " + dir + " post " + file + " > /dev/null"));
  ASSERT_EQ(post.exit_code, 0) << post.out;
  // The biggest table file holds the events; flip a byte in its middle.
  auto flip = testing::RunCommand("f=$(ls -S " + dir + "/*.sst | head -1) && " + FlipMiddleByte("$f"));
  ASSERT_EQ(flip.exit_code, 0) << flip.out;
  auto inspect = testing::RunCommand("for i in $(seq 100 399); do " +
                                     Accrue("--data " + dir + " inspect account acct-$i") +
                                     " > /dev/null 2>&1; echo $?; done | sort | uniq -c");
  EXPECT_EQ(inspect.out.find(" 1\n"), std::string::npos) << "an account read as not_found:\n" << inspect.out;
  EXPECT_NE(inspect.out.find(" 2\n"), std::string::npos) << "no read failed; was the flip inside a block?\n"
                                                        << inspect.out;
  // log verify reports damage as damage (exit 1, "broken:"), whichever table file
  // holds it: a corrupt stream index or stream heads block exited 2 ("could not
  // read the log") before 2026-12-06. One table file at a time gets a flipped
  // byte (a copy of the log each); a file read at open fails the open instead.
  auto each = testing::RunCommand(ForEachCopyWithOneDamagedTableFile(
      dir, Accrue("--data " + dir + "-c log verify") + " 2>&1; echo \"rc=$?\""));
  EXPECT_EQ(each.out.find("could not read the log"), std::string::npos) << each.out;
  EXPECT_NE(each.out.find("broken: "), std::string::npos) << each.out;
  testing::RunCommand("rm -rf " + dir + " " + file);
}

// log verify reads every table file, the claims' and idempotency records' too
// (until 2026-12-06 damage there verified "ok"): over a sound log, a copy with any
// one table file damaged is "broken" (exit 1) or cannot be opened (exit 2, a file
// read at open), never "ok".
TEST(CliOutputTest, LogVerifyFindsDamageInEveryTableFile) {
  const ScratchLog log("verify-damage");
  ASSERT_TRUE(log.Posted(300));
  const std::string& dir = log.dir;
  auto sound = testing::RunCommand(Accrue("--data " + dir + " log verify"));
  EXPECT_EQ(sound.exit_code, 0) << sound.out;
  EXPECT_NE(sound.out.find("; 300 claims, 300 idempotency records\n"), std::string::npos) << sound.out;
  auto each = testing::RunCommand(ForEachCopyWithOneDamagedTableFile(
      dir, Accrue("--data " + dir + "-c log verify") + " 2>&1; echo \"rc=$?\""));
  EXPECT_EQ(each.out.find("ok: "), std::string::npos) << each.out;
  EXPECT_EQ(each.out.find("rc=0"), std::string::npos) << each.out;
  EXPECT_NE(each.out.find("broken: corruption: scanning claims"), std::string::npos) << each.out;
  EXPECT_NE(each.out.find("broken: corruption: scanning idempotency records"), std::string::npos) << each.out;
}

// Input post cannot read is a failure (exit 2), never an empty file that
// "succeeded": a directory, a closed stdin, a closed stdout are refused before
// the log is opened (nothing created); a read error mid-file stops post with
// exit 2 and a message. Until 2026-12-06 each exited 0 (fread's 0 was taken for
// the end) and created the data dir.
TEST(CliOutputTest, InputOrOutputPostCannotUseIsExitTwoAndCreatesNothing) {
  const std::string dir = ::testing::TempDir() + "/cli-input-" + std::to_string(::getpid());
  auto run = testing::RunCommand(
      "mkdir -p " + dir + "/adir && cd " + dir + " && " +
      Accrue("--data d post adir") + " 2>&1; echo \"rc=$?\"; " +
      Accrue("--data d post - <&-") + " 2>&1; echo \"rc=$?\"; " +
      "echo '{}' | " + Accrue("--data d post - >&-") + " 2>/dev/null; echo \"closed stdout rc=$?\"; " +
      "test -e d && echo created || echo 'nothing created'; " +
      Accrue("--data d2 post /proc/self/mem") + " 2>&1; echo \"rc=$?\"");
  EXPECT_NE(run.out.find("accrue: 'adir' is a directory\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("accrue: cannot read standard input: it is closed\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("closed stdout rc=2\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("nothing created\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("accrue: post: cannot read '/proc/self/mem': Input/output error; stopped after 0 results"),
            std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("rc=0"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("rc=1"), std::string::npos) << run.out;
  testing::RunCommand("rm -rf " + dir);
}

// What a command prints must reach stdout: a full disk or a closed pipe is exit 2
// with a message (a verify report lost on a full disk "succeeded" before
// 2026-12-06; `log dump | head` was killed by SIGPIPE after dumping on). And
// `accrue help CMD` is `accrue CMD --help`.
TEST(CliOutputTest, OutputThatCannotBeWrittenIsExitTwo) {
  const ScratchLog log("output");
  ASSERT_TRUE(log.Posted(3000));
  const std::string& dir = log.dir;
  auto run = testing::RunCommand(
      Accrue("--data " + dir + " log verify") + " > /dev/full 2>&1; echo \"verify rc=$?\"; " +
      Accrue("version") + " > /dev/full 2>/dev/null; echo \"version rc=$?\"; " +
      "{ " + Accrue("--data " + dir + " log dump") + " 2>" + dir + ".err; echo \"dump rc=$?\" > " + dir +
      ".rc; } | head -1 > /dev/null; cat " + dir + ".rc " + dir + ".err");
  EXPECT_NE(run.out.find("verify rc=2"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("version rc=2"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("dump rc=2\naccrue: log dump: cannot write to stdout: Broken pipe\n"), std::string::npos)
      << run.out;
  auto help = testing::RunCommand(Accrue("help post"));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out.rfind("Usage: accrue [--data DIR] [--tenant T] post", 0), 0u) << help.out;
}

// log dump over a damaged block prints every event before it and names the first
// position it cannot read, the one verify names (it named the first position of
// the 1,024-event page and printed none of it before 2026-12-06).
TEST(CliOutputTest, LogDumpStopsAtTheFirstUnreadableEvent) {
  const ScratchLog log("dump");
  ASSERT_TRUE(log.Posted(3000));
  const std::string& dir = log.dir;
  ASSERT_EQ(testing::RunCommand("f=$(ls -S " + dir + "/*.sst | head -1) && " + FlipMiddleByte("$f")).exit_code, 0);
  auto verify = testing::RunCommand(Accrue("--data " + dir + " log verify --json"));
  const std::size_t at = verify.out.find("\"first_bad_position\":");
  ASSERT_NE(at, std::string::npos) << verify.out;
  const unsigned long long bad = std::stoull(verify.out.substr(at + 21));
  ASSERT_GT(bad, 1u) << verify.out;
  auto dump = testing::RunCommand(Accrue("--data " + dir + " log dump") + " 2>" + dir + ".err | wc -l; cat " +
                                  dir + ".err");
  EXPECT_EQ(dump.out.rfind(std::to_string(bad - 1) + "\naccrue: log dump stopped at position " +
                               std::to_string(bad) + ": corruption",
                           0),
            0u)
      << "verify: " << verify.out << "dump: " << dump.out;
}

// tokens add and revoke are read-modify-write of one file: run at once they take
// the file's lock (PATH.lock), so none loses another's change. Before 2026-12-06,
// of 20 concurrent adds that printed a token only 3 were stored, and a revoke racing
// adds could bring the revoked token back. A token stdout cannot take is not stored.
TEST(CliOutputTest, ConcurrentTokenAddsAndRevokesLoseNothing) {
  const std::string dir = ::testing::TempDir() + "/cli-tokens-" + std::to_string(::getpid());
  const std::string file = dir + "/tokens";
  auto run = testing::RunCommand(
      "mkdir -p " + dir + " && for i in $(seq 1 20); do " +
      Accrue("tokens add --tokens " + file + " --tenant t$i --scopes read") + " > " + dir + "/out.$i 2>&1 & done; "
      "wait; grep -L 'it is shown only now' " + dir + "/out.* | wc -l; " +
      Accrue("tokens list --tokens " + file) + " | wc -l");
  EXPECT_EQ(run.out, "0\n20\n") << run.out;  // every add succeeded, and all 20 are stored
  auto revoke = testing::RunCommand(
      "id=$(" + Accrue("tokens list --tokens " + file) + " | head -1 | cut -d' ' -f1); "
      "for i in $(seq 1 6); do " + Accrue("tokens add --tokens " + file + " --tenant u$i --scopes read") +
      " > /dev/null & done; " + Accrue("tokens revoke --tokens " + file) + " $id > /dev/null; wait; " +
      Accrue("tokens list --tokens " + file) + " | grep -c \"^$id \"; " +
      Accrue("tokens list --tokens " + file) + " | wc -l");
  EXPECT_EQ(revoke.out, "0\n25\n") << revoke.out;  // the revoked one stays gone; 20 - 1 + 6
  auto full = testing::RunCommand(Accrue("tokens add --tokens " + dir + "/other --tenant a --scopes read") +
                                  " > /dev/full 2>" + dir + "/err; echo \"rc=$?\"; cat " + dir + "/err; "
                                  "test -e " + dir + "/other && echo stored || echo 'not stored'");
  EXPECT_EQ(full.out, "rc=2\naccrue: tokens add: cannot write the token to stdout; nothing was stored\nnot stored\n")
      << full.out;
  auto closed = testing::RunCommand(Accrue("tokens add --tokens " + dir + "/other --tenant a --scopes read") +
                                    " >&- 2>/dev/null; echo \"rc=$?\"; test -e " + dir +
                                    "/other && echo stored || echo 'not stored'");
  EXPECT_EQ(closed.out, "rc=2\nnot stored\n") << closed.out;
  // revoke of a file that is not there leaves no FILE.lock behind
  auto missing = testing::RunCommand(Accrue("tokens revoke --tokens " + dir + "/none tok_0") +
                                     " 2>/dev/null; echo \"rc=$?\"; ls " + dir + " | grep -c none");
  EXPECT_EQ(missing.out, "rc=2\n0\n") << missing.out;
  testing::RunCommand("rm -rf " + dir);
}

// Exactly once under damage: with one table file of the log damaged at a time
// (events, stream index, heads, claims or idempotency records), posting the same
// file again never applies a command a second time. A read that fails is a failed
// command (exit 2, "unavailable"), never "key not seen yet"; the log ends where it
// ended (cli.md "accrue log": damage in the claims and idempotency tables).
TEST(CliOutputTest, ARePostOverADamagedTableFileNeverAppliesACommandTwice) {
  const ScratchLog log("damage");
  ASSERT_TRUE(log.Posted(2000));
  const std::string& dir = log.dir;
  const std::string& file = log.file;
  auto each = testing::RunCommand(ForEachCopyWithOneDamagedTableFile(
      dir, Accrue("--data " + dir + "-c post " + file) + " > " + dir + ".out 2>/dev/null; rc=$?; " +
               "echo \"$f rc=$rc new=$(grep -v replayed " + dir + ".out | grep -c '\"status\":\"accepted\"') " +
               "last=$(" + Accrue("--data " + dir + "-c log stat") +
               " 2>/dev/null | awk '/^last position/ {print $3}')\"") +
      "; rm -f " + dir + ".out");
  std::size_t files = 0, failed = 0;
  std::istringstream lines(each.out);
  for (std::string line; std::getline(lines, line);) {
    ++files;
    EXPECT_NE(line.find(" new=0 "), std::string::npos) << "a command was applied twice: " << line;
    const bool opened = line.find(" last=2000") != std::string::npos;
    const bool refused = line.find(" rc=2 ") != std::string::npos;
    EXPECT_TRUE(opened || refused) << line;  // the log did not grow, or could not be opened
    if (refused) ++failed;
  }
  EXPECT_GE(files, 5u) << each.out;  // the families were flushed to table files
  EXPECT_GE(failed, 1u) << "no damaged file was read; the test shows nothing\n" << each.out;
}

// One writer per log: a second writing process is refused at open with a message
// that says what to do, exit 2, nothing written; readers (log stat) still work
// beside the writer (docs/event-log-format.md "Failure modes", second writer).
TEST(CliOutputTest, ASecondWriterIsRefusedWhileReadersCarryOn) {
  const std::string dir = ::testing::TempDir() + "/cli-lock-" + std::to_string(::getpid());
  const std::string file = dir + ".jsonl";
  WriteOpenAccounts(file, 1);
  // The first writer: `post -` holding the log open while its stdin stays open
  // (3 s), started in the background; the second runs once the first has the log.
  auto run = testing::RunCommand(
      "(sleep 3 | " + Accrue("--data " + dir + " post - > /dev/null 2>&1") + ") & "
      "for i in $(seq 1 100); do [ -f " + dir + "/LOCK ] && break; sleep 0.02; done; sleep 0.3; " +
      Accrue("--data " + dir + " post " + file) + " 2>&1; echo \"exit=$?\"; " +
      Accrue("--data " + dir + " log stat") + " >/dev/null 2>&1; echo \"stat=$?\"; wait");
  EXPECT_NE(run.out.find("held by another process; open it read-only"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("exit=2"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("stat=0"), std::string::npos) << run.out;
  auto after = testing::RunCommand(Accrue("--data " + dir + " log stat") + " | grep '^last position'");
  EXPECT_EQ(after.out, "last position: 0\n");  // the refused post wrote nothing
  testing::RunCommand("rm -rf " + dir + " " + file);
}

}  // namespace
}  // namespace accrue
