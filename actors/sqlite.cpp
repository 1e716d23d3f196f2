#include "actors/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace actorchat::sqlite {

// -- database ------------------------------------------------------------------------------------

database::database(const std::string& path) {
  constexpr int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw failure(rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

database::database(database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

database& database::operator=(database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

database::~database() {
  // close_v2: an open transaction is rolled back; the handle lingers until its last statement
  // is finalized (the store destroys its statements first anyway).
  sqlite3_close_v2(db_);
}

void database::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw failure(sqlite3_extended_errcode(db_), text);
  }
}

std::string database::query_text(const char* sql) {
  statement stmt{*this, sql};
  auto rows = stmt.query();
  return rows.next() ? rows.text(0) : std::string{};
}

bool database::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

bool database::in_transaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

int64_t database::changes() const { return sqlite3_changes64(db_); }

void database::fail(int rc) const {
  // The extended code of the connection is more precise than rc (SQLITE_IOERR_WRITE, ...).
  int code = db_ != nullptr ? sqlite3_extended_errcode(db_) : rc;
  if ((code & 0xff) != (rc & 0xff))
    code = rc;
  throw failure(code, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
}

// -- statement -----------------------------------------------------------------------------------

statement::statement(database& db, const char* sql) : db_(&db) {
  int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK)
    db.fail(rc);
}

statement::statement(statement&& other) noexcept
  : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

statement::~statement() { sqlite3_finalize(stmt_); }

void statement::bind(int index, int64_t value, bool) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK)
    db_->fail(rc);
}

void statement::bind(int index, std::string_view value, bool copy) {
  // A null pointer would bind NULL, not "": an empty string_view may carry one.
  const char* data = value.data() != nullptr ? value.data() : "";
  int rc = sqlite3_bind_text64(stmt_, index, data, value.size(),
                               copy ? SQLITE_TRANSIENT : SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK)
    db_->fail(rc);
}

void statement::start() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  db_->fail(rc);
}

void statement::reset() noexcept {
  // Ends the read or write this statement holds; its error (if any) was reported by step().
  sqlite3_reset(stmt_);
}

int64_t statement::cursor::int64(int column) const {
  return sqlite3_column_int64(stmt_->stmt_, column);
}

std::string statement::cursor::text(int column) const {
  auto* data = sqlite3_column_text(stmt_->stmt_, column);
  auto size = sqlite3_column_bytes(stmt_->stmt_, column);
  if (data == nullptr)
    return {};
  return std::string{reinterpret_cast<const char*>(data), static_cast<size_t>(size)};
}

} // namespace actorchat::sqlite
