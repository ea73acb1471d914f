#include "common/inspect.h"

namespace vigil {

std::string_view buffer_name(BufferId id) {
  static constexpr std::string_view kNames[] = {
#define VIGIL_BUFFER_NAME_(e, name) name,
      VIGIL_BUFFERS(VIGIL_BUFFER_NAME_)
#undef VIGIL_BUFFER_NAME_
  };
  auto i = static_cast<size_t>(id);
  return i < kBufferCount ? kNames[i] : std::string_view("?");
}

}  // namespace vigil
