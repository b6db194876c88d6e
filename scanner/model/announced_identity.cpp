#include "scanner/model/announced_identity.hpp"

#include "scanner/util/text.hpp"

namespace fleetcert {

namespace {

constexpr VocabularyWord<IdentitySource> k_source_words[] = {
    {IdentitySource::sip_user_agent, "sip-user-agent"},
    {IdentitySource::sip_server, "sip-server"},
    {IdentitySource::http_server, "http-server"},
    {IdentitySource::http_title, "http-title"},
};

constexpr VocabularyWord<IdentityProtocol> k_protocol_words[] = {
    {IdentityProtocol::sip, "sip"},
    {IdentityProtocol::http, "http"},
};

} // namespace

std::string_view to_string(IdentityProtocol protocol)
{
  return vocabulary_word(k_protocol_words, protocol);
}

std::optional<IdentityProtocol> parse_identity_protocol(std::string_view text)
{
  return vocabulary_value(k_protocol_words, text);
}

std::string_view to_string(IdentitySource source)
{
  return vocabulary_word(k_source_words, source);
}

std::optional<IdentitySource> parse_identity_source(std::string_view text)
{
  return vocabulary_value(k_source_words, text);
}

} // namespace fleetcert
