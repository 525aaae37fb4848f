// Small JSON readers and string helpers shared by the printers' source files (internal to lab/cli;
// the printers themselves are declared in printers.h). The same ones the API's table printer uses
// (lab/api/table_util.h), plus parse_time.
#pragma once

#include "lab/api/table_util.h"
#include "lab/cli/printers.h"

namespace lab::cli::printers_detail {

using api::table_detail::age;
using api::table_detail::arr;
using api::table_detail::get;
using api::table_detail::join;
using api::table_detail::num;
using api::table_detail::or_none;
using api::table_detail::str;

}  // namespace lab::cli::printers_detail
