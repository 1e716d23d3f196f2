// quiet_handlers: keeps one bad message from killing an actor.
//
// CAF 0.17's default handler answers an unexpected message with an error, and the default error
// handler of the *sender* then quits (shared/CAF-0.17.md 9.8): one stray message could take a
// room and all its members down. Every long-lived actorchat actor installs these instead.
#pragma once

#include <caf/scheduled_actor.hpp>

namespace actorchat {

/// Unexpected messages are logged (debug) and dropped without an error reply; errors sent to
/// this actor are logged (warn) and do not make it quit.
void install_quiet_handlers(caf::scheduled_actor* self);

} // namespace actorchat
