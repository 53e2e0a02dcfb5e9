/*
 * vmpath-dom0: the emulated Dom0 backend of a host's `bridged` vms (the split-driver model).
 *
 *   vmpath-dom0 --ready FILE PORT:VIF [PORT:VIF ...]
 *
 * Each vm's interface (the frontend, eth0 in the vm's namespace) is one end of a veth pair
 * whose other end, PORT, is in the host's namespace and on no bridge. VIF is a tap device that
 * is a port of the host's bridge (Xen's vifN.M). This process moves every frame between PORT
 * and VIF through user space: an AF_PACKET socket on PORT, the tap's file on VIF. Nothing else
 * joins them, so a frame of a bridged vm reaches the bridge only through here, as a Xen guest's
 * frames reach Dom0's bridge only through netback, or a QEMU guest's through its user-space
 * virtio-net backend.
 *
 * Frames keep their offload metadata (a virtio_net_hdr on both sides: PACKET_VNET_HDR and
 * IFF_VNET_HDR), so TCP segments of up to 64 KiB cross as one frame, as with a paravirtual NIC
 * that does TSO; every frame is copied twice (into this process, and out of it).
 *
 * It runs under the host's dom0 CPU budget (vmpath starts it in that cgroup), writes its PID to
 * FILE when every pair is attached, and runs until SIGTERM or SIGINT, or until a device it
 * serves is gone. It prints one line of totals per pair when it ends. One thread, one epoll loop for all of a host's vms,
 * as one Dom0 serves all its guests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define MAX_PAIRS 256
#define FRAME_MAX (256 * 1024)
#define BATCH 64

struct pair {
  char port[IFNAMSIZ];
  char vif[IFNAMSIZ];
  int packet; /* AF_PACKET socket bound to PORT */
  int tap;    /* tap file of VIF */
  uint64_t frames[2], bytes[2]; /* [0] vm -> bridge, [1] bridge -> vm */
};

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static void die(const char *what, const char *name) {
  fprintf(stderr, "vmpath-dom0: %s %s: %s\n", what, name, strerror(errno));
  exit(1);
}

static int open_packet(const char *port) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) die("packet socket on", port);
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0)
    die("PACKET_VNET_HDR on", port);
  /* Frames this process sends on PORT must not come back to it as received ones. */
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0)
    die("PACKET_IGNORE_OUTGOING on", port);
  int size = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  struct sockaddr_ll addr = {0};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = (int)if_nametoindex(port);
  if (addr.sll_ifindex == 0) die("no interface", port);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("binding to", port);
  return fd;
}

static int open_tap(const char *vif) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die("opening /dev/net/tun for", vif);
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", vif);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) die("attaching to tap", vif);
  /* What this side accepts from the bridge: checksum offload and TSO, as a paravirtual NIC. */
  unsigned offload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
  if (ioctl(fd, TUNSETOFFLOAD, offload) != 0) die("TUNSETOFFLOAD on", vif);
  return fd;
}

/* Moves up to BATCH frames from `from` to `to`; returns -1 when `from` is gone. */
static int pump(struct pair *p, int direction, unsigned char *buf) {
  int from = direction == 0 ? p->packet : p->tap;
  int to = direction == 0 ? p->tap : p->packet;
  for (int i = 0; i < BATCH; i++) {
    ssize_t n = read(from, buf, FRAME_MAX);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return 0;
      return -1;
    }
    if (n == 0) return 0;
    /* A full tap queue or socket buffer drops the frame, as a full ring does: TCP resends. */
    if (write(to, buf, (size_t)n) == n) {
      p->frames[direction]++;
      p->bytes[direction] += (uint64_t)n;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *ready = NULL;
  static struct pair pairs[MAX_PAIRS];
  int count = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc) ready = argv[++i];
    else {
      char *colon = strchr(argv[i], ':');
      if (!colon || count == MAX_PAIRS || colon - argv[i] >= IFNAMSIZ ||
          strlen(colon + 1) >= IFNAMSIZ || colon == argv[i] || colon[1] == '\0') {
        fprintf(stderr, "vmpath-dom0: bad argument %s (want PORT:VIF, at most %d)\n", argv[i],
                MAX_PAIRS);
        return 2;
      }
      snprintf(pairs[count].port, IFNAMSIZ, "%.*s", (int)(colon - argv[i]), argv[i]);
      snprintf(pairs[count].vif, IFNAMSIZ, "%s", colon + 1);
      count++;
    }
  }
  if (!ready || count == 0) {
    fprintf(stderr, "usage: vmpath-dom0 --ready FILE PORT:VIF ...\n");
    return 2;
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll", "");
  for (int i = 0; i < count; i++) {
    pairs[i].packet = open_packet(pairs[i].port);
    pairs[i].tap = open_tap(pairs[i].vif);
    struct epoll_event a = {.events = EPOLLIN, .data.u64 = (uint64_t)i * 2};
    struct epoll_event b = {.events = EPOLLIN, .data.u64 = (uint64_t)i * 2 + 1};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, pairs[i].packet, &a) != 0) die("epoll on", pairs[i].port);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, pairs[i].tap, &b) != 0) die("epoll on", pairs[i].vif);
  }
  FILE *r = fopen(ready, "w");
  if (!r || fprintf(r, "%d\n", (int)getpid()) < 0 || fclose(r) != 0) die("writing", ready);
  static unsigned char buf[FRAME_MAX];
  struct epoll_event events[64];
  int status = 0;
  while (!stopping) {
    int n = epoll_wait(ep, events, 64, 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait", "");
    }
    for (int e = 0; e < n; e++) {
      struct pair *p = &pairs[events[e].data.u64 / 2];
      int direction = (int)(events[e].data.u64 % 2);
      if (pump(p, direction, buf) != 0) {
        fprintf(stderr, "vmpath-dom0: %s is gone: %s\n", direction == 0 ? p->port : p->vif,
                strerror(errno));
        stopping = 1;
        status = 1;
      }
    }
  }
  for (int i = 0; i < count; i++) {
    printf("%s:%s to-bridge %llu frames %llu bytes, to-vm %llu frames %llu bytes\n",
           pairs[i].port, pairs[i].vif, (unsigned long long)pairs[i].frames[0],
           (unsigned long long)pairs[i].bytes[0], (unsigned long long)pairs[i].frames[1],
           (unsigned long long)pairs[i].bytes[1]);
  }
  return status;
}
