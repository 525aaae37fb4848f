// ELF reading with <elf.h>'s structures, copied out of the byte buffer (memcpy: the input need
// not be aligned) after a bounds check each. Little-endian only: this host's loader reads nothing
// else. The search follows ld.so(8): RPATH (when the object has no RUNPATH, the executable's too),
// RUNPATH, ld.so.cache's directories, the defaults; $ORIGIN expanded, other tokens resolved as
// Debian's x86_64 loader does.
#include "runtime/elf_deps.h"

#include <elf.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "lab/base/parse.h"
namespace lab::runtime {
namespace {

template <typename T>
bool read_at(std::string_view bytes, uint64_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

std::vector<std::string> split_path_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t colon = s.find(':', start);
    if (colon == std::string::npos) colon = s.size();
    if (colon > start) out.push_back(s.substr(start, colon - start));
    start = colon + 1;
  }
  return out;
}

// The class-specific part: Ehdr/Phdr/Dyn are Elf64_* or Elf32_*.
template <typename Ehdr, typename Phdr, typename Dyn>
Result<void> parse_class(std::string_view bytes, ElfInfo& info) {
  Ehdr eh;
  if (!read_at(bytes, 0, eh)) return fail("truncated ELF header");
  info.machine = eh.e_machine;
  if (eh.e_phnum == 0) return {};  // nothing to load: no dependencies
  if (eh.e_phentsize != sizeof(Phdr)) return fail("bad program header size " + std::to_string(eh.e_phentsize));
  if (eh.e_phoff > bytes.size() || uint64_t{eh.e_phnum} * sizeof(Phdr) > bytes.size() - eh.e_phoff)
    return fail("program headers lie past the end of the file");
  std::vector<Phdr> phdrs;
  for (uint64_t i = 0; i < eh.e_phnum; ++i) {
    Phdr ph;
    if (!read_at(bytes, uint64_t{eh.e_phoff} + i * sizeof(Phdr), ph))
      return fail("program header " + std::to_string(i) + " lies past the end of the file");
    phdrs.push_back(ph);
  }
  // A file range [off, off+size) inside the input, as a view.
  auto range = [&](uint64_t off, uint64_t size, std::string_view& out) {
    if (off > bytes.size() || size > bytes.size() - off) return false;
    out = bytes.substr(off, size);
    return true;
  };
  const Phdr* dynamic = nullptr;
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_INTERP) {
      std::string_view s;
      if (!range(ph.p_offset, ph.p_filesz, s)) return fail("PT_INTERP lies past the end of the file");
      auto nul = s.find('\0');
      if (nul == std::string_view::npos || nul == 0) return fail("PT_INTERP is not a string");
      info.interp = std::string(s.substr(0, nul));
    } else if (ph.p_type == PT_DYNAMIC) {
      dynamic = &ph;
    }
  }
  if (!dynamic) return {};
  std::string_view dyn;
  if (!range(dynamic->p_offset, dynamic->p_filesz, dyn)) return fail("PT_DYNAMIC lies past the end of the file");
  uint64_t strtab_addr = 0, strsz = 0;
  bool have_strtab = false;
  std::vector<std::pair<int64_t, uint64_t>> strings;  // (tag, string table offset)
  for (uint64_t off = 0; off + sizeof(Dyn) <= dyn.size(); off += sizeof(Dyn)) {
    Dyn d;
    read_at(dyn, off, d);
    if (d.d_tag == DT_NULL) break;
    switch (d.d_tag) {
      case DT_STRTAB: strtab_addr = d.d_un.d_ptr, have_strtab = true; break;
      case DT_STRSZ: strsz = d.d_un.d_val; break;
      case DT_NEEDED: case DT_RUNPATH: case DT_RPATH: case DT_SONAME:
        strings.emplace_back(d.d_tag, d.d_un.d_val);
        break;
      default: break;
    }
  }
  if (strings.empty()) return {};
  if (!have_strtab) return fail("dynamic section has no DT_STRTAB");
  // DT_STRTAB is an address: the PT_LOAD segment that maps it gives its place in the file.
  std::string_view strtab;
  bool found = false;
  for (const auto& ph : phdrs) {
    if (ph.p_type != PT_LOAD || strtab_addr < ph.p_vaddr || strtab_addr - ph.p_vaddr >= ph.p_filesz) continue;
    uint64_t within = strtab_addr - ph.p_vaddr;
    uint64_t size = std::min<uint64_t>(strsz, ph.p_filesz - within);
    if (ph.p_offset > bytes.size() || within > bytes.size() ||
        !range(uint64_t{ph.p_offset} + within, size, strtab))
      return fail("DT_STRTAB lies past the end of the file");
    found = true;
    break;
  }
  if (!found) return fail("DT_STRTAB is in no loaded segment");
  for (const auto& [tag, off] : strings) {
    if (off >= strtab.size()) return fail("dynamic string offset " + std::to_string(off) + " is outside the string table");
    auto nul = strtab.find('\0', off);
    if (nul == std::string_view::npos) return fail("dynamic string at " + std::to_string(off) + " is not terminated");
    std::string s(strtab.substr(off, nul - off));
    if (tag == DT_NEEDED) {
      if (s.empty()) return fail("empty DT_NEEDED name");
      info.needed.push_back(std::move(s));
    } else if (tag == DT_RUNPATH) {
      for (auto& p : split_path_list(s)) info.runpath.push_back(std::move(p));
    } else if (tag == DT_RPATH) {
      for (auto& p : split_path_list(s)) info.rpath.push_back(std::move(p));
    } else {
      info.soname = std::move(s);
    }
  }
  return {};
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// $ORIGIN (the object's directory), $LIB and $PLATFORM as Debian's x86_64 loader expands them;
// "" for a directory the loader would drop (another token, or a relative path).
std::string expand_dir(std::string dir, const std::string& object) {
  auto replace = [&](const std::string& token, const std::string& value) {
    for (const std::string& form : {"${" + token + "}", "$" + token}) {
      for (size_t at = dir.find(form); at != std::string::npos; at = dir.find(form, at + value.size()))
        dir.replace(at, form.size(), value);
    }
  };
  replace("ORIGIN", dir_of(object));
  replace("LIB", "lib/x86_64-linux-gnu");
  replace("PLATFORM", "x86_64");
  if (dir.find('$') != std::string::npos || !dir.starts_with("/")) return "";
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

struct Loaded {
  std::string path;
  ElfInfo info;
};

}  // namespace

Result<ElfInfo> parse_elf(std::string_view bytes) {
  if (bytes.size() < EI_NIDENT || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
    return fail("not an ELF file");
  if (bytes[EI_DATA] != ELFDATA2LSB) return fail("not a little-endian ELF file");
  ElfInfo info;
  info.elf_class = static_cast<uint8_t>(bytes[EI_CLASS]);
  Result<void> r;
  if (info.elf_class == ELFCLASS64) r = parse_class<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(bytes, info);
  else if (info.elf_class == ELFCLASS32) r = parse_class<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(bytes, info);
  else return fail("unknown ELF class " + std::to_string(info.elf_class));
  if (!r) return std::unexpected(r.error());
  return info;
}

std::vector<std::string> parse_ld_so_conf(std::string_view text) {
  std::vector<std::string> dirs;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim_space(line);
    if (line.empty() || line.starts_with("include") || line.starts_with("hwcap") || !line.starts_with("/")) continue;
    std::string dir(line);
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    dirs.push_back(std::move(dir));
  }
  return dirs;
}

LibrarySearch default_library_search() {
  return {{},
          {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}};
}

Result<std::vector<ElfDep>> elf_dependencies(const std::vector<std::string>& programs,
                                             const LibrarySearch& search, const ReadBytes& read) {
  std::vector<ElfDep> deps;
  std::set<std::string> seen;       // host paths already listed or queued
  std::set<std::string> by_name;    // library names already resolved (the loader loads a name once)
  std::vector<Loaded> queue;
  auto load = [&](const std::string& path) -> Result<ElfInfo> {
    auto bytes = read(path);
    if (!bytes) return std::unexpected(bytes.error());
    auto info = parse_elf(*bytes);
    if (!info) return std::unexpected(info.error().context(path));
    return info;
  };
  auto add = [&](const std::string& host, const std::string& root, ElfInfo info) {
    if (!seen.insert(host).second) return;
    deps.push_back({host, root});
    queue.push_back({host, std::move(info)});
  };
  for (const auto& program : programs) {
    auto info = load(program);
    if (!info) return std::unexpected(info.error());
    const uint8_t cls = info->elf_class;
    const uint16_t machine = info->machine;
    const std::vector<std::string> exe_rpath = info->runpath.empty() ? info->rpath : std::vector<std::string>{};
    const std::string interp_path = info->interp;
    queue.clear();
    seen.insert(program);
    queue.push_back({program, std::move(*info)});
    if (!interp_path.empty()) {
      auto interp = load(interp_path);
      if (!interp) return std::unexpected(interp.error().context("interpreter of " + program));
      add(interp_path, interp_path, std::move(*interp));
    }
    size_t next = 0;
    for (; next < queue.size(); ++next) {
      const std::string object = queue[next].path;
      const ElfInfo object_info = queue[next].info;
      for (const auto& name : object_info.needed) {
        if (name.find('/') != std::string::npos) {
          auto lib = load(name);
          if (!lib) return std::unexpected(lib.error().context("needed by " + object));
          add(name, name, std::move(*lib));
          continue;
        }
        if (by_name.contains(name)) continue;
        // (dir, reachable in a root without ld.so.cache)
        std::vector<std::pair<std::string, bool>> dirs;
        if (object_info.runpath.empty()) {
          for (const auto& d : object_info.rpath) dirs.emplace_back(expand_dir(d, object), true);
          for (const auto& d : exe_rpath) dirs.emplace_back(expand_dir(d, program), true);
        }
        for (const auto& d : object_info.runpath) dirs.emplace_back(expand_dir(d, object), true);
        for (const auto& d : search.conf_dirs) dirs.emplace_back(d, false);
        for (const auto& d : search.default_dirs) dirs.emplace_back(d, true);
        bool found = false;
        for (const auto& [dir, reachable] : dirs) {
          if (dir.empty()) continue;
          std::string candidate = (dir == "/" ? "" : dir) + "/" + name;
          auto lib = load(candidate);
          if (!lib) {
            if (lib.error().code == ENOENT || lib.error().code == ENOTDIR || lib.error().code == 0) continue;
            if (lib.error().code == EACCES) continue;
            return std::unexpected(lib.error());
          }
          if (lib->elf_class != cls || lib->machine != machine) continue;
          std::string root = reachable ? candidate
                                       : (search.default_dirs.empty() ? candidate : search.default_dirs.front() + "/" + name);
          by_name.insert(name);
          add(candidate, root, std::move(*lib));
          found = true;
          break;
        }
        if (!found) return fail(name + ", needed by " + object + ", is in no library directory");
      }
    }
  }
  return deps;
}

}  // namespace lab::runtime
