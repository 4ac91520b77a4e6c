// DeleteObjects: POST /?delete with a <Delete> document built by pugixml.
//
// Keys travel as XML character data. pugixml escapes & < > (and " in
// attributes); CR and LF are written as character references so the server's
// end-of-line normalisation cannot turn "a\r\nb" into "a\nb". XML 1.0 cannot
// carry the other C0 control characters (U+0001..U+001F except tab, LF, CR),
// U+FFFE/U+FFFF or invalid UTF-8 at all, not even as &#1;: such a key is
// refused with invalid_argument naming it, rather than sent and answered
// with MalformedXML for the whole batch of 1000.
#include "s3/xml_util.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/crypto.hpp"

namespace s3merge::s3 {

namespace {

std::error_code invalid(diagnostics& diag, std::string key, std::string detail) {
    diag.key = std::move(key);
    diag.detail = std::move(detail);
    return make_error_code(errc::invalid_argument);
}

std::error_code validate(const delete_objects_params& p, diagnostics& diag) {
    if (p.objects.empty()) return invalid(diag, {}, "DeleteObjects needs at least one key");
    if (p.objects.size() > max_delete_objects)
        return invalid(diag, {},
                       "DeleteObjects takes at most " + std::to_string(max_delete_objects) + " keys, got " +
                           std::to_string(p.objects.size()));
    for (const object_identifier& o : p.objects) {
        if (o.key.empty()) return invalid(diag, {}, "DeleteObjects was given an empty key");
        if (std::string why = detail::xml_text_problem(o.key); !why.empty())
            return invalid(diag, o.key, "the key " + why + " and cannot be sent in a DeleteObjects request");
        if (std::string why = detail::xml_text_problem(o.version_id); !why.empty())
            return invalid(diag, o.key, "the version id " + why);
        if (std::string why = detail::xml_text_problem(o.etag); !why.empty())
            return invalid(diag, o.key, "the ETag " + why);
    }
    return {};
}

}  // namespace

http_request build_delete_objects(const target& t, const delete_objects_params& p, std::error_code& ec,
                                  diagnostics& diag) {
    ec = validate(p, diag);
    if (ec) return {};
    pugi::xml_document doc;
    pugi::xml_node root = detail::start_document(doc, "Delete");
    if (p.quiet) root.append_child("Quiet").text().set("true");
    for (const object_identifier& o : p.objects) {
        pugi::xml_node obj = root.append_child("Object");
        obj.append_child("Key").append_child(pugi::node_pcdata).set_value(o.key.c_str());
        if (!o.version_id.empty())
            obj.append_child("VersionId").append_child(pugi::node_pcdata).set_value(o.version_id.c_str());
        if (!o.etag.empty())
            obj.append_child("ETag")
                .append_child(pugi::node_pcdata)
                .set_value(detail::quote_etag(o.etag).c_str());
    }
    http_request req;
    req.method = "POST";
    req.host = t.host_header;
    req.path = t.object_path({});
    req.query.push_back({"delete", ""});
    req.body = detail::serialize(doc);
    req.set_header("Content-Type", "application/xml");
    // S3 requires an integrity header on DeleteObjects.
    req.set_header("Content-MD5", crypto::md5_base64(req.body));
    return req;
}

http_request build_delete_objects(const target& t, const delete_objects_params& p, std::error_code& ec) {
    diagnostics ignored;
    return build_delete_objects(t, p, ec, ignored);
}

std::error_code parse_delete_objects(const http_response& resp, delete_objects_result& out,
                                     diagnostics& diag) {
    out = delete_objects_result{};
    if (auto ec = check_response(resp, diag)) return ec;
    pugi::xml_document doc;
    if (auto ec = detail::load_result(resp, "DeleteObjects", "DeleteResult", doc, diag)) return ec;
    const pugi::xml_node root = doc.document_element();
    std::string problem;
    detail::for_each_child(root, "Deleted", [&](const pugi::xml_node& d) {
        deleted_object o;
        bool has_key = false;
        o.key = detail::child_text(d, "Key", &has_key);
        if (!has_key) problem = "a <Deleted> entry has no <Key>";
        o.version_id = detail::child_text(d, "VersionId");
        bool has_marker = false;
        std::string marker = detail::child_text(d, "DeleteMarker", &has_marker);
        if (has_marker && !detail::parse_bool(marker, o.delete_marker))
            problem = "invalid <DeleteMarker> '" + marker + "'";
        o.delete_marker_version_id = detail::child_text(d, "DeleteMarkerVersionId");
        out.deleted.push_back(std::move(o));
    });
    detail::for_each_child(root, "Error", [&](const pugi::xml_node& e) {
        delete_error o;
        bool has_key = false;
        o.key = detail::child_text(e, "Key", &has_key);
        if (!has_key) problem = "an <Error> entry has no <Key>";
        o.version_id = detail::child_text(e, "VersionId");
        o.code = detail::child_text(e, "Code");
        o.message = detail::child_text(e, "Message");
        out.errors.push_back(std::move(o));
    });
    if (!problem.empty()) {
        out = delete_objects_result{};
        return detail::malformed(resp, diag, "DeleteObjects: " + problem);
    }
    return {};
}

bool xml_can_carry_key(std::string_view key) {
    return !key.empty() && detail::xml_text_problem(key).empty();
}

http_request build_delete_object(const target& t, const object_identifier& o) {
    http_request req = detail::request_for(t, o.key, "DELETE");
    if (!o.version_id.empty()) req.query.push_back({"versionId", o.version_id});
    if (!o.etag.empty()) req.set_header("If-Match", detail::quote_etag(o.etag));
    return req;
}

std::error_code parse_delete_object(const http_response& resp, diagnostics& diag) {
    return check_response(resp, diag);
}

}  // namespace s3merge::s3
