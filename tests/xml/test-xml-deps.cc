// A program that only reads XML (guest networks, domain XML) must not link
// libxml2 (and through it ICU and libstdc++): the libvirt hook starts faster
// without them.  The readers are GLib-only; only the domain editor uses
// libxml2.  This reads DT_NEEDED of tests/xml/xml-reader-only straight from
// its ELF file, and runs it.
#include <config.h>

#include <elf.h>
#include <link.h>

#include <cstring>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

namespace
{

// The DT_NEEDED entries of the ELF file at @path (native word size).
std::vector<std::string>
Needed(const std::string &path)
{
    std::vector<std::string> needed;
    g_autofree char *data = nullptr;
    gsize len = 0;
    g_autoptr(GError) error = nullptr;

    if (!g_file_get_contents(path.c_str(), &data, &len, &error)) {
        ADD_FAILURE() << error->message;
        return needed;
    }
    const auto *eh = reinterpret_cast<const ElfW(Ehdr) *>(data);
    if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_shoff + (gsize)eh->e_shnum * sizeof(ElfW(Shdr)) > len) {
        ADD_FAILURE() << path << " is not an ELF file of this machine";
        return needed;
    }
    const auto *sh = reinterpret_cast<const ElfW(Shdr) *>(data + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNAMIC || sh[i].sh_link >= eh->e_shnum)
            continue;
        const ElfW(Shdr) &strtab = sh[sh[i].sh_link];
        const auto *dyn = reinterpret_cast<const ElfW(Dyn) *>(data + sh[i].sh_offset);
        for (gsize j = 0; j < sh[i].sh_size / sizeof(ElfW(Dyn)); j++) {
            if (dyn[j].d_tag == DT_NEEDED && dyn[j].d_un.d_val < strtab.sh_size)
                needed.emplace_back(data + strtab.sh_offset + dyn[j].d_un.d_val);
        }
    }
    return needed;
}

const char *
ReaderOnly()
{
    const char *path = g_getenv("VW_XML_READER_ONLY");
    return path ? path : "";
}

TEST(XmlReaderDeps, ReaderOnlyProgramDoesNotLinkLibxml2)
{
    std::vector<std::string> needed = Needed(ReaderOnly());
    std::string all;
    bool glib = false;

    for (const auto &lib : needed) {
        all += lib + " ";
        glib = glib || lib.rfind("libglib-2.0.so", 0) == 0;
    }
    // The check sees the dependencies the program does have.
    EXPECT_TRUE(glib) << "DT_NEEDED: " << all;
    for (const auto &lib : needed) {
        EXPECT_EQ(lib.find("libxml2"), std::string::npos) << "DT_NEEDED: " << all;
        EXPECT_EQ(lib.find("libicu"), std::string::npos) << "DT_NEEDED: " << all;
        EXPECT_EQ(lib.find("libstdc++"), std::string::npos) << "DT_NEEDED: " << all;
    }
}

TEST(XmlReaderDeps, ReaderOnlyProgramReadsNetworksAndDomains)
{
    const std::string data = VW_SOURCE_ROOT "/tests/data";
    g_autofree char *out = nullptr;
    g_autofree char *err = nullptr;
    g_autoptr(GError) error = nullptr;
    int status = 0;
    const char *argv[] = { ReaderOnly(), nullptr, nullptr, nullptr };
    std::string net = data + "/guestnet/valid/minimal.xml";
    std::string dom = data + "/domain/virtwire-port.xml";
    argv[1] = net.c_str();
    argv[2] = dom.c_str();

    ASSERT_TRUE(g_spawn_sync(nullptr, (char **)argv, nullptr, G_SPAWN_DEFAULT, nullptr, nullptr,
                             &out, &err, &status, &error))
        << error->message;
    EXPECT_TRUE(g_spawn_check_wait_status(status, nullptr)) << err;
    EXPECT_STREQ(out, "minimal db1\n") << err;
}

} // namespace
