// Boost.JSON is used header-only: its implementation is compiled once, here (Debian's
// libboost1.81-dev has the headers; the compiled libboost_json is a separate package).
#include <boost/json/src.hpp>
