// AWS credentials as a request signer needs them. Where they come from
// (environment, profiles, roles) is aws/config.hpp's business.
#pragma once

#include <string>

namespace s3merge {

struct credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty when not temporary credentials
    bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

}  // namespace s3merge
