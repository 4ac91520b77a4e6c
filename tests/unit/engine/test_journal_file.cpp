#include <doctest/doctest.h>

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <ostream>  // doctest prints std::error_code with operator<<

#include "s3merge/engine/journal.hpp"

using namespace s3merge::engine;

namespace {

struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/s3merge-journal-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::size_t entries(const std::string& sub) const {
        std::size_t n = 0;
        for (auto& e : std::filesystem::directory_iterator(path + sub)) n += e.is_regular_file() ? 1 : 0;
        return n;
    }
};

}  // namespace

TEST_CASE("write_file_atomically creates, replaces and leaves no temp file") {
    temp_dir d;
    std::string path = d.path + "/state/s3merge/job.journal";  // parents created
    std::error_code ec;
    write_file_atomically(path, "first", ec);
    REQUIRE_FALSE(ec);
    CHECK(read_file_bounded(path, 1024, ec) == "first");
    REQUIRE_FALSE(ec);
    std::string big(100000, 'x');
    write_file_atomically(path, big, ec);
    REQUIRE_FALSE(ec);
    CHECK(read_file_bounded(path, 1 << 20, ec) == big);
    CHECK(d.entries("/state/s3merge") == 1);
    using std::filesystem::perms;
    CHECK((std::filesystem::status(path).permissions() & perms::all) ==
          (perms::owner_read | perms::owner_write));
    CHECK((std::filesystem::status(d.path + "/state/s3merge").permissions() & perms::all) ==
          perms::owner_all);
    write_file_atomically(path, "", ec);
    REQUIRE_FALSE(ec);
    CHECK(read_file_bounded(path, 10, ec).empty());
    REQUIRE_FALSE(ec);
}

TEST_CASE("write_file_atomically and read_file_bounded report errors") {
    temp_dir d;
    std::error_code ec;
    // The parent is a regular file: cannot create the directory.
    write_file_atomically(d.path + "/f", "x", ec);
    REQUIRE_FALSE(ec);
    write_file_atomically(d.path + "/f/journal", "x", ec);
    CHECK(ec);
    // Renaming over a directory fails; the temp file is removed.
    std::filesystem::create_directory(d.path + "/dir");
    write_file_atomically(d.path + "/dir", "x", ec);
    CHECK(ec);
    CHECK(d.entries("") == 1);  // only "f"
    std::string s = read_file_bounded(d.path + "/missing", 10, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    write_file_atomically(d.path + "/f", "0123456789A", ec);
    s = read_file_bounded(d.path + "/f", 10, ec);
    CHECK(ec == std::errc::file_too_large);
    CHECK(s.empty());
}
