// Helpers of the GObject API suites: a temporary root, a main loop that
// waits for one GAsyncResult, unique network names and subnets, GError text.
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "virtwire.h"

namespace vwtest {

inline std::string
Msg(const GError *error)
{
    return error ? std::string(error->message) : std::string("(no error)");
}

// A temporary root directory, removed with everything in it on scope exit.
class TempRoot {
  public:
    TempRoot()
    {
        g_autofree char *dir = g_dir_make_tmp("vw-glib-XXXXXX", nullptr);
        if (dir) {
            path_ = dir;
            // dnsmasq drops privileges and must reach its files under the root
            g_chmod(dir, 0755);
        }
    }
    ~TempRoot()
    {
        if (path_.empty())
            return;
        const char *argv[] = { "rm", "-rf", path_.c_str(), nullptr };
        g_spawn_sync(nullptr, (char **)argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                     nullptr, nullptr, nullptr, nullptr);
    }
    TempRoot(const TempRoot &) = delete;
    TempRoot &operator=(const TempRoot &) = delete;
    const char *c_str() const { return path_.c_str(); }
    const std::string &path() const { return path_; }

  private:
    std::string path_;
};

// Runs the thread-default main loop until the callback made by Callback()
// delivers its result.
class AsyncWait {
  public:
    AsyncWait() : loop_(g_main_loop_new(g_main_context_get_thread_default(), FALSE)) {}
    ~AsyncWait()
    {
        g_clear_object(&result_);
        g_main_loop_unref(loop_);
    }
    static void Callback(GObject *, GAsyncResult *result, gpointer data)
    {
        AsyncWait *self = static_cast<AsyncWait *>(data);
        self->result_ = G_ASYNC_RESULT(g_object_ref(result));
        self->callback_thread_ = g_thread_self();
        self->events_.push_back("callback");
        g_main_loop_quit(self->loop_);
    }
    GAsyncResult *Wait()
    {
        if (!result_)
            g_main_loop_run(loop_);
        return result_;
    }
    // Events of the test (signals, notifications) and the callback, in order.
    std::vector<std::string> events_;
    GThread *callback_thread_ = nullptr;

  private:
    GMainLoop *loop_;
    GAsyncResult *result_ = nullptr;
};

// A guest-network name unique to this process and call, and its XML with a
// /24 of 10.(160 + pid % 40).K.0 (the engine's suites use 10.200-249).
class NetSpec {
  public:
    NetSpec(const char *tag = "g")
    {
        static int counter = 0;
        int k = ++counter;
        name = std::string("vw") + tag + std::to_string(getpid() % 100000) + "n" +
               std::to_string(k);
        subnet = "10." + std::to_string(160 + getpid() % 40) + "." + std::to_string(k);
        xml = "<network><name>" + name + "</name><forward mode='isolated'/>" +
              "<ip family='ipv4' address='" + subnet + ".1' prefix='24'><dhcp><range start='" +
              subnet + ".100' end='" + subnet + ".199'/></dhcp></ip></network>";
    }
    std::string name;
    std::string subnet;
    std::string xml;
};

// Every object of a GList, kept alive (the list is freed).
template <typename T>
std::vector<T *>
TakeList(GList *list)
{
    std::vector<T *> out;
    for (GList *l = list; l; l = l->next)
        out.push_back(static_cast<T *>(l->data));
    g_list_free(list);
    return out;
}

template <typename T>
void
FreeObjects(std::vector<T *> &objects)
{
    for (T *o : objects)
        g_object_unref(o);
    objects.clear();
}

} // namespace vwtest
