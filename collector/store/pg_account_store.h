// The accounts (collector/store/account_store.h) in PostgreSQL: tables users,
// sessions and user_tokens of the store's database (pg_schema.h creates them;
// the column "user" is quoted, a reserved word there), on a small pool of
// connections of their own. Every collector sharing the database sees the
// same users, sessions and tokens: a session opened through one collector is
// valid on the others, a logout or a disabled user holds on all of them from
// their next request.
//
// Thread-safe (each call checks a connection out of the pool); errors are
// values with the server's message; nothing throws.
#pragma once

#include <memory>
#include <string>

#include "collector/store/account_store.h"

namespace vigil::collector {

// Connects to `url` (any libpq connection string or URI) and applies the
// store's migrations the database lacks; null with *error (the server's
// reason) when it cannot.
std::unique_ptr<AccountStore> open_pg_account_store(const std::string& url, std::string* error);

}  // namespace vigil::collector
