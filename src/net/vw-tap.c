#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>

#include "vw-net-error.h"
#include "vw-tap.h"

#define VW_TUN_DEVICE "/dev/net/tun"

/* Bits of tun_flags that describe the device rather than a request: they must
 * not be passed back to TUNSETIFF. */
#define VW_TUN_NOT_SETTABLE (IFF_PERSIST | IFF_ATTACH_QUEUE | IFF_DETACH_QUEUE | IFF_TUN_EXCL)

static void
vw_tap_ifreq_init(struct ifreq *ifr, const char *name, int tun_flags)
{
    memset(ifr, 0, sizeof(*ifr));
    g_strlcpy(ifr->ifr_name, name, sizeof(ifr->ifr_name));
    /* ifr_flags is a short and IFF_TUN_EXCL is its sign bit. */
    ifr->ifr_flags = (short)tun_flags;
}

static int
vw_tap_open_tun(void)
{
    int fd;

    do {
        fd = open(VW_TUN_DEVICE, O_RDWR | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

static gboolean
vw_tap_mac_is_unicast(const guint8 *mac)
{
    static const guint8 zero[6] = { 0 };

    return !(mac[0] & 0x01) && memcmp(mac, zero, sizeof(zero)) != 0;
}

/* Everything after TUNSETIFF, on a tap that only @fd holds.  TUNSETPERSIST
 * comes last: until it succeeds, closing @fd is the whole rollback, because
 * the kernel unregisters a tap that is neither persistent nor attached. */
static gboolean
vw_tap_configure(int fd, const char *name, uid_t owner, gid_t group, const guint8 *mac,
                 GError **error)
{
    if (owner != (uid_t)-1 && ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0)
        return vw_net_error_set_errno(error, errno, _("cannot set owner %u of tap '%s'"),
                                      (unsigned)owner, name);
    if (group != (gid_t)-1 && ioctl(fd, TUNSETGROUP, (unsigned long)group) < 0)
        return vw_net_error_set_errno(error, errno, _("cannot set group %u of tap '%s'"),
                                      (unsigned)group, name);
    if (mac) {
        struct ifreq ifr;

        vw_tap_ifreq_init(&ifr, name, 0);
        ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
        if (ioctl(fd, SIOCSIFHWADDR, &ifr) < 0)
            return vw_net_error_set_errno(error, errno,
                                          _("cannot set MAC address "
                                            "%02x:%02x:%02x:%02x:%02x:%02x of tap '%s'"),
                                          mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], name);
    }
    if (ioctl(fd, TUNSETPERSIST, 1UL) < 0)
        return vw_net_error_set_errno(error, errno, _("cannot make tap '%s' persistent"), name);
    return TRUE;
}

int
vw_tap_create_held(const char *name, VwTapFlags flags, uid_t owner, gid_t group, const guint8 *mac,
                   GError **error)
{
    struct ifreq ifr;
    int tun_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
    int fd;

    g_return_val_if_fail(name != NULL, -1);
    g_return_val_if_fail((flags & ~(VW_TAP_VNET_HDR | VW_TAP_MULTI_QUEUE)) == 0, -1);
    g_return_val_if_fail(error == NULL || *error == NULL, -1);

    if (!vw_ifname_check(name, error))
        return -1;
    if (mac && !vw_tap_mac_is_unicast(mac)) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("cannot create tap '%s': %02x:%02x:%02x:%02x:%02x:%02x is not a unicast "
                      "MAC address"),
                    name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
        return -1;
    }
    /* TUNSETIFF on an existing tap with matching flags attaches to it
     * instead of failing.  IFF_TUN_EXCL closes that race in the kernel
     * (EBUSY); checking first gives the plain EEXIST for the common case. */
    if (if_nametoindex(name) != 0) {
        vw_net_error_set_errno(error, EEXIST, _("cannot create tap '%s'"), name);
        return -1;
    }

    if (flags & VW_TAP_VNET_HDR)
        tun_flags |= IFF_VNET_HDR;
    if (flags & VW_TAP_MULTI_QUEUE)
        tun_flags |= IFF_MULTI_QUEUE;

    fd = vw_tap_open_tun();
    if (fd < 0) {
        vw_net_error_set_errno(error, errno, _("cannot create tap '%s': cannot open /dev/net/tun"),
                               name);
        return -1;
    }
    vw_tap_ifreq_init(&ifr, name, tun_flags);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int errsv = errno;

        g_close(fd, NULL);
        vw_net_error_set_errno(error, errsv == EBUSY ? EEXIST : errsv,
                               _("cannot create tap '%s'"), name);
        return -1;
    }
    if (!vw_tap_configure(fd, name, owner, group, mac, error)) {
        g_close(fd, NULL);
        return -1;
    }
    return fd;
}

gboolean
vw_tap_create(const char *name, VwTapFlags flags, uid_t owner, gid_t group, const guint8 *mac,
              GError **error)
{
    int fd = vw_tap_create_held(name, flags, owner, group, mac, error);

    if (fd < 0)
        return FALSE;
    g_close(fd, NULL);
    return TRUE;
}

/* The tun flags of the tap @name from /sys/class/net.  sysfs shows the netns
 * it was mounted in, not necessarily the calling thread's: trust it only when
 * the ifindex matches and the device is a tap there; FALSE otherwise. */
static gboolean
vw_tap_sysfs_flags(const char *name, unsigned ifindex, int *tun_flags)
{
    g_autofree char *ifindex_path = g_strdup_printf("/sys/class/net/%s/ifindex", name);
    g_autofree char *flags_path = g_strdup_printf("/sys/class/net/%s/tun_flags", name);
    g_autofree char *index_text = NULL;
    g_autofree char *flags_text = NULL;
    guint64 value;
    char *end;

    if (!g_file_get_contents(ifindex_path, &index_text, NULL, NULL))
        return FALSE;
    value = g_ascii_strtoull(index_text, &end, 10);
    if (end == index_text || value != ifindex)
        return FALSE;
    if (!g_file_get_contents(flags_path, &flags_text, NULL, NULL))
        return FALSE;
    value = g_ascii_strtoull(flags_text, &end, 16);
    if (end == flags_text || value > G_MAXUINT16 || !(value & IFF_TAP))
        return FALSE;
    *tun_flags = (int)value;
    return TRUE;
}

/* Attach @fd to the existing tap @name with the flags it has, so that its
 * features do not change under a process that holds it too.  When sysfs
 * cannot tell, probe: the kernel refuses (EINVAL) a request whose type or
 * IFF_MULTI_QUEUE differs from the device's, and any non-tap device. */
static gboolean
vw_tap_attach(int fd, const char *name, GError **error)
{
    struct ifreq ifr;
    unsigned ifindex = if_nametoindex(name);
    int tun_flags;

    if (ifindex == 0)
        return vw_net_error_set_errno(error, ENODEV, _("cannot delete tap '%s'"), name);
    if (vw_tap_sysfs_flags(name, ifindex, &tun_flags)) {
        vw_tap_ifreq_init(&ifr, name, tun_flags & ~VW_TUN_NOT_SETTABLE);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
            return vw_net_error_set_errno(error, errno, _("cannot delete tap '%s'"), name);
        return TRUE;
    }

    vw_tap_ifreq_init(&ifr, name, IFF_TAP | IFF_NO_PI);
    if (ioctl(fd, TUNSETIFF, &ifr) == 0)
        return TRUE;
    if (errno == EINVAL) {
        vw_tap_ifreq_init(&ifr, name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
        if (ioctl(fd, TUNSETIFF, &ifr) == 0)
            return TRUE;
        if (errno == EINVAL) {
            g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                        _("cannot delete tap '%s': it is not a tap"), name);
            return FALSE;
        }
    }
    return vw_net_error_set_errno(error, errno, _("cannot delete tap '%s'"), name);
}

gboolean
vw_tap_delete(const char *name, GError **error)
{
    struct ifreq ifr;
    int fd;

    g_return_val_if_fail(name != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!vw_ifname_check(name, error))
        return FALSE;
    fd = vw_tap_open_tun();
    if (fd < 0)
        return vw_net_error_set_errno(error, errno,
                                      _("cannot delete tap '%s': cannot open /dev/net/tun"), name);
    if (!vw_tap_attach(fd, name, error)) {
        g_close(fd, NULL);
        return FALSE;
    }
    /* If @name vanished after the check, TUNSETIFF made a new tap; a tap
     * that is not persistent either is that one or belongs to a process. */
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(fd, TUNGETIFF, &ifr) == 0 && !(ifr.ifr_flags & IFF_PERSIST)) {
        g_close(fd, NULL);
        if (if_nametoindex(name) == 0)
            return vw_net_error_set_errno(error, ENODEV, _("cannot delete tap '%s'"), name);
        return vw_net_error_set_errno(error, EBUSY,
                                      _("cannot delete tap '%s': it is not persistent"), name);
    }
    if (ioctl(fd, TUNSETPERSIST, 0UL) < 0) {
        int errsv = errno;

        g_close(fd, NULL);
        return vw_net_error_set_errno(error, errsv, _("cannot delete tap '%s'"), name);
    }
    g_close(fd, NULL);
    return TRUE;
}
