#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<

#include "s3merge/engine/journal.hpp"
#include "s3merge/crypto.hpp"

using namespace s3merge;
using namespace s3merge::engine;

namespace {

job_description sample_job() {
    return {"move", {{"logs-b", "AWSLogs/"}, {"logs-a", ""}}, {"archive", "merged/"}};
}

journal sample_journal() {
    journal j;
    j.job_id = job_id(sample_job());
    j.fanout_depth = 6;
    j.totals = {10, 5, 3, 4, 2, 123456789012345ull};
    j.sources = {{{"logs-a", ""}, {6, 3, 2, 2, 1, 1000}}, {{"logs-b", "AWSLogs/"}, {4, 2, 1, 2, 1, 99}}};
    j.leaves = {
        {"logs-a", "", "/", "top.txt", false},
        {"logs-b", "AWSLogs/1/", "", "", true},
        {"logs-b", "AWSLogs/2/", "", "AWSLogs/2/\"quoted\"\\back\nnl\ttab\x01\x1f", false},
        {"logs-b", "AWSLogs/\xC3\xA9/", "", "AWSLogs/\xC3\xA9/\xF0\x9F\x98\x80", false},
        {"logs-b", "AWSLogs/bin\xFF/", "", std::string("AWSLogs/bin\xFF/\x00\x80", 15), false},
        // Key ranges of split leaves: (from, to], bytes that are not UTF-8 too.
        {"flat", "", "/", "k5", false, "k3", "k9"},
        {"flat", "", "/", "", false, "k9", ""},
        {"flat", "", "", "", true, "", std::string("x\xFF\x00", 3)},
    };
    j.uploads = {{"dest", "AWSLogs/big.bin", "2~abcDEF"}, {"dest", "odd\xFF/key", "u-2"}};
    return j;
}

}  // namespace

TEST_CASE("job id: SHA-256 of the canonical description, sources sorted") {
    job_description a = sample_job();
    job_description b = a;
    std::swap(b.sources[0], b.sources[1]);
    CHECK(canonical_description(a) == canonical_description(b));
    CHECK(canonical_description(a) ==
          "s3merge-job-v1,4:move,1:2,6:logs-a,0:,6:logs-b,8:AWSLogs/,7:archive,7:merged/,");
    CHECK(job_id(a) == crypto::sha256_hex(canonical_description(a)));
    CHECK(job_id(a).size() == 64);
    CHECK(job_id(a) == job_id(b));
    job_description c = a;
    c.mode = "copy";
    CHECK(job_id(c) != job_id(a));
    // Length prefixes keep bucket/prefix boundaries unambiguous.
    job_description d{"copy", {{"ab", "c"}}, {"x", ""}};
    job_description e{"copy", {{"a", "bc"}}, {"x", ""}};
    CHECK(job_id(d) != job_id(e));
}

TEST_CASE("journal round-trips, including escapes and non-UTF-8 keys") {
    journal j = sample_journal();
    std::string text = encode_journal(j);
    CHECK(text.back() == '\n');
    CHECK(text.find(R"("watermark":"AWSLogs/2/\"quoted\"\\back\nnl\ttab\u0001\u001f")") != std::string::npos);
    CHECK(text.find(R"("prefix_hex":"4157534c6f67732f62696eff2f")") != std::string::npos);
    CHECK(text.find("\"format\":\"s3merge-journal\",\"version\":1,") != std::string::npos);
    journal back;
    diagnostics diag;
    REQUIRE_FALSE(decode_journal(text, j.job_id, back, diag));
    CHECK(back == j);
    // Any job id accepted when none is expected.
    REQUIRE_FALSE(decode_journal(text, "", back, diag));
    CHECK(back == j);
    CHECK(back.uploads.size() == 2);
    // A journal written before uploads were recorded reads as none.
    std::string old = text;
    auto at = old.find(",\"uploads\":");
    REQUIRE(at != std::string::npos);
    old.erase(at, old.rfind('}') - at);
    REQUIRE_FALSE(decode_journal(old, j.job_id, back, diag));
    CHECK(back.uploads.empty());
    CHECK(back.leaves == j.leaves);
    // Empty journal.
    journal empty;
    empty.job_id = "x";
    REQUIRE_FALSE(decode_journal(encode_journal(empty), "x", back, diag));
    CHECK(back == empty);
}

TEST_CASE("journal: truncation at every byte offset is a clean config_error") {
    journal j = sample_journal();
    const std::string text = encode_journal(j);
    journal out;
    out.job_id = "untouched";
    for (std::size_t n = 0; n + 1 < text.size(); ++n) {
        diagnostics diag;
        CAPTURE(n);
        REQUIRE(decode_journal(std::string_view(text).substr(0, n), j.job_id, out, diag) ==
                errc::config_error);
        REQUIRE(diag.detail.find("delete the journal file") != std::string::npos);
    }
    CHECK(out.job_id == "untouched");  // never partially filled
    diagnostics diag;
    REQUIRE_FALSE(decode_journal(std::string_view(text).substr(0, text.size() - 1), j.job_id, out, diag));
}

TEST_CASE("journal: every single-byte corruption is an error or a well-formed journal") {
    journal j = sample_journal();
    const std::string text = encode_journal(j);
    for (std::size_t i = 0; i < text.size(); ++i) {
        for (char c : {'\0', '"', '}', '9', 'x', '\xff'}) {
            std::string bad = text;
            bad[i] = c;
            journal out;
            diagnostics diag;
            std::error_code ec = decode_journal(bad, "", out, diag);
            if (ec) REQUIRE(ec == errc::config_error);
        }
    }
}

TEST_CASE("journal: other version, other job, wrong types, not a journal") {
    journal j = sample_journal();
    journal out;
    auto decode = [&](const std::string& text, std::string_view id, std::string& detail) {
        diagnostics diag;
        std::error_code ec = decode_journal(text, id, out, diag);
        detail = diag.detail;
        return ec;
    };
    std::string detail;
    journal v2 = j;
    v2.version = 2;
    CHECK(decode(encode_journal(v2), j.job_id, detail) == errc::config_error);
    CHECK(detail.find("journal format version 2 is not supported") != std::string::npos);

    CHECK(decode(encode_journal(j), std::string(64, 'a'), detail) == errc::config_error);
    CHECK(detail.find("belongs to job " + j.job_id) != std::string::npos);

    CHECK(decode("{}", "", detail) == errc::config_error);
    CHECK(detail.find("not an s3merge journal") != std::string::npos);
    CHECK(decode("[1,2]", "", detail) == errc::config_error);
    CHECK(decode("", "", detail) == errc::config_error);
    CHECK(detail.find("not valid JSON") != std::string::npos);

    std::string text = encode_journal(j);
    std::string wrong = text;
    wrong.replace(wrong.find("\"complete\":true"), 15, "\"complete\":\"yes\"");
    CHECK(decode(wrong, "", detail) == errc::config_error);
    CHECK(detail.find("leaves[1].complete is missing or not a boolean") != std::string::npos);

    wrong = text;
    wrong.replace(wrong.find("\"listed\":10"), 11, "\"listed\":-1");
    CHECK(decode(wrong, "", detail) == errc::config_error);
    CHECK(detail.find("totals.listed") != std::string::npos);

    wrong = text;
    wrong.replace(wrong.find("\"delimiter\":\"/\""), 15, "\"delimiter\":\"|\"");
    CHECK(decode(wrong, "", detail) == errc::config_error);
    CHECK(detail.find("leaves[0].delimiter") != std::string::npos);

    wrong = text;
    wrong.replace(wrong.find("_hex\":\"41"), 9, "_hex\":\"4g");
    CHECK(decode(wrong, "", detail) == errc::config_error);
}

TEST_CASE("default journal path") {
    const std::string id = job_id(sample_job());
    std::string path;
    diagnostics diag;
    REQUIRE_FALSE(default_journal_path(id, "/var/state", "/home/u", path, diag));
    CHECK(path == "/var/state/s3merge/" + id + ".journal");
    REQUIRE_FALSE(default_journal_path(id, "/var/state/", "/home/u", path, diag));
    CHECK(path == "/var/state/s3merge/" + id + ".journal");
    REQUIRE_FALSE(default_journal_path(id, "", "/home/u", path, diag));
    CHECK(path == "/home/u/.local/state/s3merge/" + id + ".journal");
    REQUIRE_FALSE(default_journal_path(id, "relative/state", "/home/u/", path, diag));
    CHECK(path == "/home/u/.local/state/s3merge/" + id + ".journal");
    CHECK(default_journal_path(id, "", "", path, diag) == errc::config_error);
    CHECK(diag.detail.find("XDG_STATE_HOME") != std::string::npos);
    CHECK(default_journal_path("../../etc/passwd", "/s", "/h", path, diag) == errc::invalid_argument);
}

TEST_CASE("journal: a leaf's key range must hold its watermark and start with its prefix") {
    journal j;
    j.job_id = std::string(64, 'a');
    auto decodes = [&](leaf_state l) {
        j.leaves = {l};
        journal out;
        diagnostics diag;
        auto ec = decode_journal(encode_journal(j), "", out, diag);
        if (!ec) CHECK(out.leaves == j.leaves);
        return ec ? diag.detail : std::string("ok");
    };
    CHECK(decodes({"b", "p/", "", "p/c", false, "p/a", "p/x"}) == "ok");
    CHECK(decodes({"b", "p/", "", "", false, "p/a", ""}) == "ok");
    CHECK(decodes({"b", "p/", "", "p/z", false, "p/a", "p/x"}).find("watermark outside the range") !=
          std::string::npos);
    CHECK(decodes({"b", "p/", "", "p/0", false, "p/a", ""}).find("watermark outside the range") !=
          std::string::npos);
    CHECK(decodes({"b", "p/", "", "", false, "p/x", "p/a"}).find("from must come before to") !=
          std::string::npos);
    CHECK(decodes({"b", "p/", "", "", false, "q/a", ""}).find("must start with the prefix") !=
          std::string::npos);
    // Without a range the record is written as before (no from/to fields).
    j.leaves = {{"b", "p/", "", "p/c", false}};
    CHECK(encode_journal(j).find("\"from\"") == std::string::npos);
}
