// The Athena DDL over a consolidated CloudTrail bucket, the manual follow-up
// list, and the request cost estimate. Pure.
#include "s3merge/cloudtrail/athena.hpp"

#include <iterator>
#include <utility>

#include "s3merge/cloudtrail/naming.hpp"

namespace s3merge::cloudtrail {

namespace {

// The columns of the Athena documentation's CloudTrail table ("Create the
// table for CloudTrail logs in Athena using partition projection").
constexpr std::string_view cloudtrail_columns = R"(    eventversion STRING,
    useridentity STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<
             userid: STRING,
             identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            ec2roledelivery:string,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: map<string,string>>
        >
    >,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    addendum STRUCT<
      reason:STRING,
      updatedfields:STRING,
      originalrequestid:STRING,
      originaleventid:STRING>,
    sessioncredentialfromconsole STRING,
    edgedevicedetails STRING,
    tlsdetails STRUCT<
      tlsversion:STRING,
      ciphersuite:STRING,
      clientprovidedhostheader:STRING>
)";

// Partitions, SerDe and formats, up to the LOCATION value.
constexpr std::string_view table_format =
    ")\n"
    "PARTITIONED BY (\n"
    "   `region` string,\n"
    "   `timestamp` string)\n"
    "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
    "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
    "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
    "LOCATION\n";

std::error_code invalid(diagnostics& diag, std::string detail) {
    diag.detail = std::move(detail);
    return make_error_code(errc::invalid_argument);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool identifier_ok(std::string_view s) {
    if (s.empty() || s.size() > 255) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_')) return false;
    return true;
}

// `name` or `database`.`name`.
std::string quoted_table(std::string_view table) {
    const std::size_t dot = table.find('.');
    if (dot == std::string_view::npos) return "`" + std::string(table) + "`";
    return "`" + std::string(table.substr(0, dot)) + "`.`" + std::string(table.substr(dot + 1)) + "`";
}

bool date_ok(std::string_view d) {
    if (d.size() != 10 || d[4] != '/' || d[7] != '/') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (!is_digit(d[i])) return false;
    const int month = (d[5] - '0') * 10 + (d[6] - '0');
    const int day = (d[8] - '0') * 10 + (d[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

std::string prefix_of(const athena_params& p) {
    std::string prefix = p.prefix;
    if (prefix.empty()) {
        diagnostics ignored;
        (void)expand_template({}, default_prefix_template, {}, p.account, prefix, ignored);
    }
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    return prefix;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const std::string& s : items) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

}  // namespace

std::error_code check_athena_params(const athena_params& p, diagnostics& diag) {
    const std::size_t dot = p.table.find('.');
    const bool table_ok = dot == std::string::npos
                              ? identifier_ok(p.table)
                              : identifier_ok(std::string_view(p.table).substr(0, dot)) &&
                                    identifier_ok(std::string_view(p.table).substr(dot + 1));
    if (!table_ok)
        return invalid(diag, "Athena table name '" + p.table.substr(0, 80) +
                                 "' is not valid: use letters, digits and '_' (optionally DATABASE.TABLE)");
    if (auto ec = validate_bucket_name(p.bucket, diag)) return ec;
    if (auto ec = validate_account_id(p.account, diag)) return ec;
    if (p.regions.empty()) return invalid(diag, "the Athena table needs at least one region to project");
    for (const std::string& r : p.regions)
        if (auto ec = validate_region_name(r, diag)) return ec;
    if (!date_ok(p.start_date))
        return invalid(diag, "start date '" + p.start_date.substr(0, 40) +
                                 "' is not of the form yyyy/MM/dd (e.g. 2013/11/01)");
    for (char c : p.prefix)
        if (c == '\'' || c == '\\' || c == '$' || c == '`' || static_cast<unsigned char>(c) < 0x20)
            return invalid(diag, "prefix '" + p.prefix.substr(0, 80) +
                                     "' cannot go into the Athena table: it contains a quote, '\\', '$', "
                                     "'`' or a control character");
    if (!p.prefix.empty() && p.prefix.front() == '/')
        return invalid(diag, "prefix '" + p.prefix.substr(0, 80) + "' must not start with '/'");
    return {};
}

std::string athena_ddl(const athena_params& p) {
    const std::string location = "s3://" + p.bucket + "/" + prefix_of(p);
    const std::pair<std::string_view, std::string> properties[] = {
        {"projection.enabled", "true"},
        {"projection.region.type", "enum"},
        {"projection.region.values", join(p.regions, ",")},
        {"projection.timestamp.format", "yyyy/MM/dd"},
        {"projection.timestamp.interval", "1"},
        {"projection.timestamp.interval.unit", "DAYS"},
        {"projection.timestamp.range", p.start_date + ",NOW"},
        {"projection.timestamp.type", "date"},
        {"storage.location.template", location + "${region}/${timestamp}"},
    };
    std::string out = "CREATE EXTERNAL TABLE " + quoted_table(p.table) + " (\n";
    out += cloudtrail_columns;
    out += table_format;
    out += "  '" + location + "'\n";
    out += "TBLPROPERTIES (\n";
    for (std::size_t i = 0; i < std::size(properties); ++i) {
        out += "  '" + std::string(properties[i].first) + "'='" + properties[i].second + "'";
        out += i + 1 < std::size(properties) ? ",\n" : ")\n";
    }
    return out;
}

std::string bucket_list_text(const std::vector<std::string>& buckets, std::size_t shown) {
    if (shown == 0) shown = 1;
    std::string out;
    const std::size_t n = buckets.size() < shown ? buckets.size() : shown;
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) out += (i + 1 == n && buckets.size() == n) ? " and " : ", ";
        out += buckets[i];
    }
    if (buckets.size() > n) out += " and " + std::to_string(buckets.size() - n) + " more";
    return out;
}

std::vector<std::string> post_migration_hints(std::string_view account, std::string_view dest_bucket,
                                              const std::vector<std::string>& source_buckets,
                                              std::string_view logs_prefix) {
    const std::string old = bucket_list_text(source_buckets);
    const std::string dest = "s3://" + std::string(dest_bucket);
    const std::string dest_prefix =
        dest + "/" +
        (logs_prefix.empty() ? "AWSLogs/" + std::string(account) + "/CloudTrail/" : std::string(logs_prefix));
    const std::string of_old =
        source_buckets.size() == 1 ? "the old bucket " + old : "the old buckets " + old;
    std::vector<std::string> hints;
    hints.push_back("Trails: stop or delete the per-region trails still delivering to " + of_old +
                    " (aws cloudtrail describe-trails --region REGION, then aws cloudtrail delete-trail "
                    "--name NAME), or point them at " +
                    dest + " with aws cloudtrail update-trail --s3-bucket-name " + std::string(dest_bucket) +
                    "; a running trail keeps writing to the old bucket.");
    hints.push_back(
        "SNS: topics subscribed to the old trails' log file notifications (their "
        "--sns-topic-name) stop receiving them when those trails go; subscribe to the trail "
        "that writes to " +
        dest + " instead.");
    hints.push_back(
        "CloudWatch Logs: log groups and subscription filters fed by the old trails "
        "(CloudWatchLogsLogGroupArn) must be attached to the trail that writes to " +
        dest + ".");
    hints.push_back(
        "S3 events: event notifications, Lambda functions and SQS queues triggered by objects in " + of_old +
        " (aws s3api get-bucket-notification-configuration --bucket NAME) must be "
        "re-created on " +
        dest + ".");
    hints.push_back("Third-party readers (Datadog, Splunk, Sumo Logic, SIEMs) reading " + of_old +
                    " or their SQS queues must be pointed at " + dest_prefix + ".");
    hints.push_back("Athena/Glue: tables and partitions over " + of_old +
                    " now describe stale data; "
                    "create one table over " +
                    dest_prefix + " (see --athena-ddl).");
    hints.push_back(
        "Log file integrity validation: digest files name the bucket each log file was "
        "delivered to, so aws cloudtrail validate-logs (with --s3-bucket " +
        std::string(dest_bucket) + " for digests copied to " + dest + ") still reads the log files from " +
        of_old + "; keep those objects for as long as you need to validate them.");
    hints.push_back("Retention on " + dest +
                    ": lifecycle rules, replication, Object Lock, the bucket policy "
                    "(cloudtrail.amazonaws.com write access with aws:SourceArn for the remaining trails) "
                    "and the KMS key policy for SSE-KMS log files must cover the consolidated data before "
                    "emptying " +
                    of_old + ".");
    return hints;
}

double request_cost::usd() const {
    const double billed = static_cast<double>(copy_requests) + static_cast<double>(list_requests);
    return billed / 1000.0 * usd_per_1000_copy_put_list;
}

}  // namespace s3merge::cloudtrail
