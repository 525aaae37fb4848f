#include "runtime/elf_deps.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <stdio.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "lab/base/unique_fd.h"
#include "runtime/image.h"
#include "runtime/image_root.h"

namespace lab::runtime {
namespace {

ReadBytes host_reader() {
  return [](const std::string& path) { return read_file(path); };
}

// What `ldd` prints for a program: the resolved paths (and the interpreter), canonical.
std::set<std::string> ldd(const std::string& program) {
  std::set<std::string> out;
  FILE* f = ::popen(("ldd " + program + " 2>/dev/null").c_str(), "r");
  if (!f) return out;
  char line[1024];
  while (std::fgets(line, sizeof line, f)) {
    std::string s = line;
    auto arrow = s.find("=> ");
    std::string path;
    if (arrow != std::string::npos) path = s.substr(arrow + 3);
    else if (auto slash = s.find('/'); slash != std::string::npos) path = s.substr(slash);
    else continue;
    path = path.substr(0, path.find(' '));
    if (!path.starts_with("/")) continue;
    out.insert(std::filesystem::canonical(path).string());
  }
  ::pclose(f);
  return out;
}

std::set<std::string> resolved(const std::string& program) {
  auto deps = elf_dependencies({program}, host_library_search(), host_reader());
  EXPECT_TRUE(deps) << (deps ? "" : deps.error().what());
  std::set<std::string> out;
  if (deps)
    for (const auto& d : *deps) out.insert(std::filesystem::canonical(d.host_path).string());
  return out;
}

TEST(ElfDeps, HostProgramsResolveAsLddDoes) {
  for (const char* program : {"/usr/sbin/nginx", "/usr/bin/curl"}) {
    if (::access(program, X_OK) != 0) GTEST_SKIP() << program << " is not installed";
    auto want = ldd(program);
    ASSERT_FALSE(want.empty()) << "ldd " << program;
    EXPECT_EQ(resolved(program), want) << program;
  }
}

TEST(ElfDeps, ReadsInterpreterAndNeeded) {
  auto bytes = read_file("/usr/sbin/nginx");
  if (!bytes) GTEST_SKIP() << "no nginx";
  auto info = parse_elf(*bytes);
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_EQ(info->elf_class, ELFCLASS64);
  EXPECT_EQ(info->machine, EM_X86_64);
  EXPECT_EQ(info->interp, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_NE(std::find(info->needed.begin(), info->needed.end(), "libc.so.6"), info->needed.end());
  auto libc = parse_elf(*read_file("/lib/x86_64-linux-gnu/libc.so.6"));
  ASSERT_TRUE(libc);
  EXPECT_EQ(libc->soname, "libc.so.6");
  EXPECT_TRUE(libc->needed.empty() || libc->needed == std::vector<std::string>{"ld-linux-x86-64.so.2"});
}

TEST(ElfDeps, StaticProgramNeedsNothing) {
  if (::access(kBusybox, X_OK) != 0) GTEST_SKIP();
  auto deps = elf_dependencies({kBusybox}, host_library_search(), host_reader());
  ASSERT_TRUE(deps) << deps.error().what();
  // Debian's busybox is static; a dynamic one would list libc at least.
  auto info = parse_elf(*read_file(kBusybox));
  ASSERT_TRUE(info);
  EXPECT_EQ(deps->empty(), info->interp.empty());
}

TEST(ElfDeps, TruncatedAndGarbageInputAreErrors) {
  EXPECT_FALSE(parse_elf(""));
  EXPECT_FALSE(parse_elf("hello, world"));
  EXPECT_EQ(parse_elf(std::string("\x7f" "ELF", 4)).error().what(), "not an ELF file");
  auto bytes = read_file("/usr/sbin/nginx");
  if (!bytes) GTEST_SKIP();
  // Every prefix of a real file parses or fails cleanly (the sanitizers or a crash would say).
  for (size_t n : {16ul, 63ul, 64ul, 100ul, 64ul + 56 * 3, 4096ul, 65536ul, bytes->size() / 2}) {
    auto r = parse_elf(std::string_view(*bytes).substr(0, n));
    if (n < 64 + 56) {
      EXPECT_FALSE(r) << n;
    }
  }
  // Corrupt header fields: program headers past the end, a wrong entry size.
  std::string bad = *bytes;
  Elf64_Ehdr eh;
  std::memcpy(&eh, bad.data(), sizeof eh);
  Elf64_Ehdr far = eh;
  far.e_phoff = ~0ull - 8;
  std::memcpy(bad.data(), &far, sizeof far);
  EXPECT_FALSE(parse_elf(bad));
  Elf64_Ehdr wrong = eh;
  wrong.e_phentsize = 3;
  std::memcpy(bad.data(), &wrong, sizeof wrong);
  EXPECT_FALSE(parse_elf(bad));
  // Random bytes after a valid ident.
  std::string noise = bytes->substr(0, 16);
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 7919) & 0xff));
  (void)parse_elf(noise);
  // Every dynamic entry's string offset past the string table.
  std::string dyn_bad = *bytes;
  std::memcpy(&eh, dyn_bad.data(), sizeof eh);
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, dyn_bad.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type != PT_DYNAMIC) continue;
    for (uint64_t off = ph.p_offset; off + sizeof(Elf64_Dyn) <= ph.p_offset + ph.p_filesz; off += sizeof(Elf64_Dyn)) {
      Elf64_Dyn d;
      std::memcpy(&d, dyn_bad.data() + off, sizeof d);
      if (d.d_tag == DT_NEEDED) d.d_un.d_val = 1u << 30;
      std::memcpy(dyn_bad.data() + off, &d, sizeof d);
    }
  }
  auto r = parse_elf(dyn_bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("outside the string table"), std::string::npos) << r.error().what();
}

// A fake file system: programs and libraries by path.
struct FakeFs {
  std::map<std::string, std::string> files;
  ReadBytes reader() const {
    return [this](const std::string& path) -> Result<std::string> {
      auto it = files.find(path);
      if (it == files.end()) return fail("open " + path, ENOENT);
      return it->second;
    };
  }
};

TEST(ElfDeps, SearchOrderAndPlacement) {
  auto libc = read_file("/lib/x86_64-linux-gnu/libc.so.6");
  auto nginx = read_file("/usr/sbin/nginx");
  auto ld = read_file("/lib64/ld-linux-x86-64.so.2");
  if (!libc || !nginx || !ld) GTEST_SKIP();
  // A program needing libc only (nginx's other needs are satisfied from a conf dir).
  FakeFs fs;
  fs.files["/usr/sbin/nginx"] = *nginx;
  fs.files["/lib64/ld-linux-x86-64.so.2"] = *ld;
  fs.files["/lib/x86_64-linux-gnu/libc.so.6"] = *libc;
  for (const char* lib : {"libcrypt.so.1", "libpcre2-8.so.0", "libssl.so.3", "libcrypto.so.3", "libz.so.1"})
    fs.files[std::string("/opt/conf/") + lib] = *libc;  // any valid x86_64 library with no needs
  LibrarySearch search = default_library_search();
  search.conf_dirs = {"/opt/conf"};
  auto deps = elf_dependencies({"/usr/sbin/nginx"}, search, fs.reader());
  ASSERT_TRUE(deps) << deps.error().what();
  std::map<std::string, std::string> where;
  for (const auto& d : *deps) where[d.host_path] = d.root_path;
  EXPECT_EQ(deps->front(), (ElfDep{"/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"}));
  EXPECT_EQ(where["/lib/x86_64-linux-gnu/libc.so.6"], "/lib/x86_64-linux-gnu/libc.so.6");
  // Found through ld.so.conf: placed where a loader without ld.so.cache looks.
  EXPECT_EQ(where["/opt/conf/libssl.so.3"], "/lib/x86_64-linux-gnu/libssl.so.3");
  // A missing library is an error naming it and who needs it.
  fs.files.erase("/opt/conf/libz.so.1");
  auto missing = elf_dependencies({"/usr/sbin/nginx"}, search, fs.reader());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "libz.so.1, needed by /usr/sbin/nginx, is in no library directory");
  // A garbage file where a library should be is skipped, as the loader skips it.
  fs.files["/lib/x86_64-linux-gnu/libz.so.1"] = "garbage";
  fs.files["/usr/lib/libz.so.1"] = *libc;
  auto skipped = elf_dependencies({"/usr/sbin/nginx"}, search, fs.reader());
  ASSERT_TRUE(skipped) << skipped.error().what();
  bool usr_lib = false;
  for (const auto& d : *skipped) usr_lib = usr_lib || d.host_path == "/usr/lib/libz.so.1";
  EXPECT_TRUE(usr_lib);
}

TEST(ElfDeps, LdSoConf) {
  EXPECT_EQ(parse_ld_so_conf("# libc default configuration\n/usr/local/lib\n\ninclude /etc/x/*.conf\n  /opt/lib/  # x\nrel/dir\n"),
            (std::vector<std::string>{"/usr/local/lib", "/opt/lib"}));
}

TEST(ImageRoot, NamesAndPaths) {
  EXPECT_EQ(image_root_name(**find_image("radial/busyboxplus:curl")), "radial_busyboxplus_curl");
  EXPECT_EQ(image_root_name(**find_image("bprashanth/nginxhttps:1.0")), "bprashanth_nginxhttps");
  EXPECT_EQ(*usr_relative("/usr/sbin/nginx"), "sbin/nginx");
  EXPECT_EQ(*usr_relative("/lib/x86_64-linux-gnu/libc.so.6"), "lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(*usr_relative("/lib64/ld-linux-x86-64.so.2"), "lib64/ld-linux-x86-64.so.2");
  EXPECT_FALSE(usr_relative("/opt/lib/x.so"));
  EXPECT_FALSE(usr_relative("/usr/../etc/shadow"));
  EXPECT_FALSE(usr_relative("/usr/"));
}

TEST(ImageRoot, NginxImageFiles) {
  if (::access("/usr/sbin/nginx", X_OK) != 0) GTEST_SKIP();
  auto files = image_files(**find_image("nginx"), "", host_library_search(), host_reader());
  ASSERT_TRUE(files) << files.error().what();
  std::set<std::string> dests;
  for (const auto& f : *files) dests.insert(f.dest);
  for (const char* want : {"bin/busybox", "bin/printenv", "sbin/nginx", "lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6",
                           "lib/x86_64-linux-gnu/libssl.so.3"})
    EXPECT_TRUE(dests.contains(want)) << want;
  for (const auto& d : dests) EXPECT_EQ(d.find("python"), std::string::npos) << d;
  // An image with a lab executable needs its path.
  EXPECT_FALSE(image_files(**find_image("coredns/coredns"), "", host_library_search(), host_reader()));
}

}  // namespace
}  // namespace lab::runtime
