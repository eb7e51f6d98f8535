// Running tools/virtwire-hook the way libvirtd does: arguments, the domain
// XML on stdin, an environment (VIRTWIRE_ROOT), stdout and stderr captured.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vwhooktest {

struct HookResult {
    int status = -1; // exit status, or -1 when it did not exit normally
    std::string out; // stdout
    std::string err; // stderr
};

// The hook binary ($VW_HOOK, set by meson), or "" when unset.
std::string HookPath();

// Run the hook with @args (DOMAIN OPERATION SUB-OPERATION EXTRA), @stdin_data
// on stdin, and @env set on top of (or, with an empty value, removed from)
// this process's environment (std::nullopt removes the variable).
HookResult RunHook(const std::vector<std::string> &args, const std::string &stdin_data,
                   const std::map<std::string, std::optional<std::string>> &env = {});

// The contents of a file, or "" when it cannot be read.
std::string Slurp(const std::string &path);

// Every path under @dir (relative), sorted; empty when @dir is empty.
std::vector<std::string> TreeOf(const std::string &dir);

} // namespace vwhooktest
