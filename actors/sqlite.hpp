// sqlite: a thin RAII layer over SQLite's C API for the store. A connection, prepared statements
// that are reused and always reset after use, and failures as exceptions that carry SQLite's
// result code and message (the store catches them at each transaction boundary).
//
// Threading: a connection is opened without SQLite's mutexes; one thread at a time may use it
// and the statements prepared on it (the store actor guarantees that).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace actorchat::sqlite {

/// A failed SQLite call: SQLite's extended result code and its message.
class failure : public std::runtime_error {
public:
  failure(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

  /// The extended result code, e.g. SQLITE_IOERR_WRITE.
  int code() const noexcept { return code_; }

  /// The primary result code, e.g. SQLITE_IOERR.
  int primary_code() const noexcept { return code_ & 0xff; }

private:
  int code_;
};

/// An open database connection; closes it when destroyed.
class database {
public:
  database() = default;

  /// Opens `path` for reading and writing, creating the file if it is missing. Throws failure.
  explicit database(const std::string& path);

  database(database&& other) noexcept;
  database& operator=(database&& other) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  sqlite3* get() const noexcept { return db_; }

  /// Runs SQL without results (may hold several statements). Throws failure.
  void exec(const char* sql);

  /// Runs one statement and returns the first column of its first row as text, "" if there is
  /// no row. Throws failure.
  std::string query_text(const char* sql);

  /// True if SQLite opened the file read-only (it does so silently when it cannot write it).
  bool read_only() const;

  /// True inside an explicit transaction (BEGIN without COMMIT or ROLLBACK yet).
  bool in_transaction() const;

  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;

  /// Throws a failure for result code `rc` with the connection's current error message.
  [[noreturn]] void fail(int rc) const;

private:
  sqlite3* db_ = nullptr;
};

/// A prepared statement, reused: each query() or exec() binds new values to ?1, ?2, ...
class statement {
public:
  /// One execution of a statement: steps through its rows and resets the statement when it
  /// goes out of scope, so no read stays open after an early return or an exception.
  class cursor {
  public:
    explicit cursor(statement& s) noexcept : stmt_(&s) {}
    cursor(const cursor&) = delete;
    cursor& operator=(const cursor&) = delete;
    ~cursor() { stmt_->reset(); }

    /// Moves to the next row; false when there is none. Throws failure.
    bool next() { return stmt_->step(); }

    int64_t int64(int column) const;
    std::string text(int column) const;

  private:
    statement* stmt_;
  };

  statement() = default;

  /// Prepares `sql` on `db` for repeated use. Throws failure.
  statement(database& db, const char* sql);

  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  /// Binds `args` (int64_t or text) and returns a cursor over the rows. Text is copied, so
  /// temporaries may be passed.
  template <class... Ts>
  cursor query(const Ts&... args) {
    start();
    bind_all(true, args...);
    return cursor{*this};
  }

  /// Binds `args`, runs the statement to completion and returns the rows it changed.
  /// Throws failure.
  template <class... Ts>
  int64_t exec(const Ts&... args) {
    cursor c = query_static(args...);
    while (c.next()) {
      // A statement run for its effect: rows, if any, are not needed.
    }
    return db_->changes();
  }

private:
  template <class... Ts>
  cursor query_static(const Ts&... args) {
    start();
    bind_all(false, args...);
    return cursor{*this};
  }

  template <class... Ts>
  void bind_all([[maybe_unused]] bool copy, const Ts&... args) {
    [[maybe_unused]] int index = 0;
    (bind(++index, args, copy), ...);
  }

  void bind(int index, int64_t value, bool copy);
  void bind(int index, std::string_view value, bool copy);
  // Seqs are uint64_t in C++ and INTEGER (int64) in SQLite: the caller converts explicitly.
  void bind(int index, uint64_t value, bool copy) = delete;

  void start();
  bool step();
  void reset() noexcept;

  database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

} // namespace actorchat::sqlite
