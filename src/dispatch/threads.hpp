#pragma once
// One live thread per pull request: which thread an event belongs to, what it is called, and the card that
// heads it. The shim keeps the mapping (endpoint, key) -> thread in D1 and edits the card in place.

#include <cstdint>
#include <optional>
#include <string_view>

#include "dispatch/json_io.hpp"

namespace dispatch {

// Discord's limit on a thread's name.
inline constexpr std::size_t max_thread_name_chars = 100;

// Returns an ISO 8601 time as Bitbucket writes it ("2023-05-12T11:45:41.426316+00:00", "…Z", any number of
// fraction digits) in microseconds since the epoch; nullopt for anything else. Pure arithmetic: no clock, no
// time zone database.
std::optional<std::int64_t> timestamp_us(std::string_view text);

// For a pullrequest:* event whose payload names its pull request (`pullrequest.id`), returns
// {key, name, updated_us, state, card}: `key` is "<repository uuid, else full name>#<id>", `name` the
// thread's name ("#42 title", at most 100 characters), `updated_us` the pull request's updated_on (null when
// absent or unreadable: the card is then never taken over a dated one), `card` the finalized PR card.
// Returns nullopt for any other event.
std::optional<ordered_json> pull_request_thread(std::string_view key, const json& payload);

}  // namespace dispatch
