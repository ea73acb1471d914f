// The agent's version, reported in --version, heartbeats and stats.
#pragma once

namespace vigil {
inline constexpr const char* kAgentVersion = "0.1.0";
}
