// What a dynamically linked program needs to run: its ELF interpreter and the shared libraries it
// loads, found the way the dynamic loader (ld.so) finds them. A pure core over file contents, so
// that malformed files and search orders are tested without touching the host.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/base/result.h"

namespace lab::runtime {

// The parts of an ELF file the loader reads to link it.
struct ElfInfo {
  uint8_t elf_class = 0;   // ELFCLASS64 or ELFCLASS32
  uint16_t machine = 0;    // EM_X86_64 ...
  std::string interp;      // PT_INTERP ("" for a static program or a library)
  std::vector<std::string> needed;   // DT_NEEDED, in order
  std::vector<std::string> runpath;  // DT_RUNPATH, split at ':'
  std::vector<std::string> rpath;    // DT_RPATH, split at ':'
  std::string soname;                // DT_SONAME
};

// Parses a whole file's bytes. Every offset is checked against the input: a truncated or
// malformed file is an error naming what is wrong, never a read out of bounds.
Result<ElfInfo> parse_elf(std::string_view bytes);

// The directory lines of an ld.so.conf file (comments, blank lines and `include` dropped).
std::vector<std::string> parse_ld_so_conf(std::string_view text);

// Where the loader looks for a library named without a '/': after an object's RPATH/RUNPATH, the
// directories of ld.so.conf (what ld.so.cache holds), then its built-in defaults.
struct LibrarySearch {
  std::vector<std::string> conf_dirs;
  std::vector<std::string> default_dirs;
};
// Debian's x86_64 loader's built-in directories.
LibrarySearch default_library_search();

// One file a program needs: where it is on the host, and where it must be in a root whose loader
// has no ld.so.cache (a library the host found through ld.so.conf goes to the first default
// directory; everything else keeps its path, so RUNPATHs and PT_INTERP still point at it).
struct ElfDep {
  std::string host_path;
  std::string root_path;
  bool operator==(const ElfDep&) const = default;
};

// Reads a file's bytes; an error (ENOENT for a missing one) when it cannot.
using ReadBytes = std::function<Result<std::string>(const std::string& path)>;

// The interpreters and libraries the programs load, recursively, each once, in the order found.
// A static program needs nothing. A needed library found nowhere is an error naming it and
// who needs it; a candidate of another class or machine is skipped, as the loader skips it.
Result<std::vector<ElfDep>> elf_dependencies(const std::vector<std::string>& programs,
                                             const LibrarySearch& search, const ReadBytes& read);

}  // namespace lab::runtime
