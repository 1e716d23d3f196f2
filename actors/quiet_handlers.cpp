#include "actors/quiet_handlers.hpp"

#include "config/log.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/message_view.hpp>

namespace actorchat {

void install_quiet_handlers(caf::scheduled_actor* self) {
  self->set_default_handler([](caf::scheduled_actor* who, caf::message_view& msg)
                              -> caf::result<caf::message> {
    if (log::enabled(log::level::debug))
      log::debug("unexpected_message", std::string{"actor="} + who->name() + " content="
                                         + log::quote(caf::deep_to_string(msg.copy_content_to_message())));
    return caf::message{};
  });
  self->set_error_handler([self](caf::error& err) {
    log::warn("actor_error", std::string{"actor="} + self->name() + " error="
                               + log::quote(self->system().render(err)));
  });
}

} // namespace actorchat
