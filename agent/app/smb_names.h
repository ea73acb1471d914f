// SMB names and small decoders shared by the SMB parser (smb_parser.cpp) and
// its tests: command, status, dialect and FSCTL names as Suricata 7 writes
// them in the `smb` EVE object, UTF-16LE to UTF-8, Windows FILETIME to Unix
// seconds, and the GUID text of a 16-byte file id.
//
// Pure functions, callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::smb {

// "SMB2_COMMAND_CREATE"; the number in decimal for commands without a name.
std::string smb2_command_name(uint16_t cmd);
// "SMB1_COMMAND_NT_CREATE_ANDX"; the number in decimal for unknown ones.
std::string smb1_command_name(uint8_t cmd);
// "STATUS_SUCCESS"; the status in decimal when it has no name here.
std::string ntstatus_name(uint32_t status);
// "3.11" for 0x0311; the number in decimal for unknown dialects.
std::string smb2_dialect_name(uint16_t dialect);
// "FSCTL_PIPE_TRANSCEIVE"; the code in decimal for unknown ones.
std::string fsctl_name(uint32_t code);

// UTF-16LE bytes to UTF-8; a lone surrogate becomes U+FFFD, an odd last byte
// is dropped, trailing NUL characters are cut.
std::string utf16le_to_utf8(std::string_view b);
// 100 ns ticks since 1601 to seconds since 1970 (0 before 1970).
uint64_t filetime_to_unix(uint64_t ft);
// A GUID as Windows prints it (first three fields little-endian), lower case.
std::string guid_string(std::string_view b16);

constexpr uint32_t kStatusSuccess = 0;
constexpr uint32_t kStatusPending = 0x103;
constexpr uint32_t kStatusMoreProcessing = 0xC0000016;

}  // namespace vigil::smb
