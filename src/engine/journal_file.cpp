// The engine core's only I/O: durable, atomic replacement of a small file
// (the journal) and a bounded read of it. POSIX.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>

#include "s3merge/engine/journal.hpp"

namespace s3merge::engine {

namespace {

std::error_code last_error() {
    return {errno, std::system_category()};
}

bool write_all(int fd, std::string_view data, std::error_code& ec) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            ec = last_error();
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool fsync_path(const std::string& dir, std::error_code& ec) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        ec = last_error();
        return false;
    }
    bool ok = ::fsync(fd) == 0;
    if (!ok) ec = last_error();
    ::close(fd);
    return ok;
}

// mkdir -p with mode 0700: the journal names buckets and keys.
bool make_dirs(const std::filesystem::path& dir, std::error_code& ec) {
    std::filesystem::path partial;
    for (const auto& part : dir) {
        partial /= part;
        if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
            ec = last_error();
            return false;
        }
    }
    return true;
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view data, std::error_code& ec) {
    ec.clear();
    std::filesystem::path p(path);
    std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
    if (p.has_parent_path() && !make_dirs(p.parent_path(), ec)) return;
    // Unique within the process (pid) and across threads (counter).
    static std::atomic<unsigned> counter{0};
    std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        ec = last_error();
        return;
    }
    bool ok = write_all(fd, data, ec);
    if (ok && ::fsync(fd) != 0) ok = false, ec = last_error();
    if (::close(fd) != 0 && ok) ok = false, ec = last_error();
    if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = false, ec = last_error();
    if (!ok) {
        ::unlink(tmp.c_str());
        return;
    }
    fsync_path(dir, ec);
}

namespace {

// Where a write to `path` lands: the file a symlink (chain) points to, made
// absolute against the link's directory; `path` itself otherwise.
std::string resolve_links(const std::string& path, std::error_code& ec) {
    std::filesystem::path p(path);
    for (int hops = 0; hops < 40; ++hops) {
        struct stat st;
        if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p.string();
        std::error_code fec;
        auto target = std::filesystem::read_symlink(p, fec);
        if (fec) {
            ec = fec;
            return {};
        }
        p = target.is_absolute() ? target : p.parent_path() / target;
    }
    ec = std::make_error_code(std::errc::too_many_symbolic_link_levels);
    return {};
}

}  // namespace

void write_output_file(const std::string& path, std::string_view data, std::error_code& ec) {
    ec.clear();
    std::string real = resolve_links(path, ec);
    if (ec) return;
    struct stat st;
    if (::stat(real.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            ec = std::make_error_code(std::errc::is_a_directory);
            return;
        }
        // A FIFO, a terminal, /dev/stdout, /dev/full: written as it is.
        int fd = ::open(real.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            ec = last_error();
            return;
        }
        bool ok = write_all(fd, data, ec);
        if (::close(fd) != 0 && ok) ec = last_error();
        return;
    }
    write_file_atomically(real, data, ec);
}

std::string check_output_path(const std::string& path) {
    if (path.empty()) return "the path is empty";
    std::error_code ec;
    std::string real = resolve_links(path, ec);
    if (ec) return ec.message();
    struct stat st;
    if (::stat(real.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return "it is a directory";
        if (S_ISREG(st.st_mode) && ::access(real.c_str(), W_OK) != 0) return last_error().message();
        return {};
    }
    // A new file: its directory must exist and be writable (or be creatable).
    std::filesystem::path dir = std::filesystem::path(real).parent_path();
    while (!dir.empty() && ::stat(dir.c_str(), &st) != 0) dir = dir.parent_path();
    if (dir.empty()) dir = ".";
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return "'" + dir.string() + "' is not a directory";
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return "cannot write in '" + dir.string() + "': " + last_error().message();
    return {};
}

bool is_regular_or_absent(const std::string& path) {
    std::error_code ec;
    std::string real = resolve_links(path, ec);
    if (ec) return false;
    struct stat st;
    return ::stat(real.c_str(), &st) != 0 || S_ISREG(st.st_mode);
}

std::string read_file_bounded(const std::string& path, std::size_t max_bytes, std::error_code& ec) {
    ec.clear();
    std::string out;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ec = last_error();
        return out;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            ec = last_error();
            break;
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
            ec = std::make_error_code(std::errc::file_too_large);
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (ec) out.clear();
    return out;
}

}  // namespace s3merge::engine
