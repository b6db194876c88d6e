#pragma once
// Result<T>: a value or an error message, for expected failures (bad input, parse errors).

#include <string>
#include <utility>
#include <variant>

namespace fleetcert {

struct Error
{
  std::string message;
};

template <typename T> class Result
{
public:
  Result(T value) : m_v(std::move(value)) {}
  Result(Error error) : m_v(std::move(error)) {}

  explicit operator bool() const { return m_v.index() == 0; }
  bool ok() const { return m_v.index() == 0; }
  T& value() { return std::get<0>(m_v); }
  const T& value() const { return std::get<0>(m_v); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(m_v).message; }

private:
  std::variant<T, Error> m_v;
};

} // namespace fleetcert
