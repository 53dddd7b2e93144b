/*
 * flowlens-probe: the privileged probe helper of flowlens (see docs/probe-helper.md).
 *
 * Holds the only privilege of the suite (CAP_NET_RAW). Reads frames from stdin, writes frames to stdout:
 *   frame   = length (4 bytes, big-endian: counts the type byte and the payload, 1..FL_MAX_FRAME) | type (1 byte) | payload
 *   READY         0x01 helper->node  version (1 byte) | flags (1 byte: bit 0 = raw TCP socket open,
 *                                    bit 1 = AF_PACKET capture socket open)
 *   SEND          0x02 node->helper  one whole IPv4 packet (header included), sent with IP_HDRINCL to its destination
 *   RECV          0x03 helper->node  seconds (8 bytes BE) | nanoseconds (4 bytes BE) | the IPv4 packet as received
 *   ERROR         0x04 helper->node  one line of text: "<where> <ERRNO_NAME>: <message>"
 *   CAPTURE_START 0x05 node->helper  UDP destination port (2 bytes BE, 0 = any) | snap length (2 bytes BE, 0 = whole)
 *                                    | interface name (0..15 bytes, none = every interface)
 *   CAPTURED      0x06 helper->node  seconds (8 BE) | nanoseconds (4 BE) | ifindex (4 BE) | packet type (1) |
 *                                    original length (2 BE) | the IPv4 packet, cut at the snap length
 *   CAPTURE_STOP  0x07 node->helper  empty
 *   CAPTURE_STATE 0x08 helper->node  1 byte: 1 = capturing (answers CAPTURE_START), 0 = stopped (CAPTURE_STOP)
 * Exits 0 when stdin closes, 1 when it cannot start (after an ERROR frame), 2 on a malformed frame from node.
 */
#define _GNU_SOURCE
/* glibc's net/if.h before any linux/ header that pulls in linux/if.h (libc-compat then skips the duplicates). */
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <net/ethernet.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FL_VERSION 1
#define FL_T_READY 0x01
#define FL_T_SEND 0x02
#define FL_T_RECV 0x03
#define FL_T_ERROR 0x04
#define FL_T_CAPTURE_START 0x05
#define FL_T_CAPTURED 0x06
#define FL_T_CAPTURE_STOP 0x07
#define FL_T_CAPTURE_STATE 0x08
#define FL_CAPTURED_PREFIX 19u
/* A CAPTURED frame must fit the same frame length limit as RECV: 1 + 19 + packet <= FL_MAX_FRAME. */
#define FL_MAX_CAPTURED (FL_MAX_PACKET - (FL_CAPTURED_PREFIX - FL_RECV_PREFIX))
#define FL_MAX_PACKET 65535u
#define FL_RECV_PREFIX 12u
#define FL_MAX_FRAME (1u + FL_RECV_PREFIX + FL_MAX_PACKET)
#define FL_IN_CAP (4u + FL_MAX_FRAME)

static uint8_t in_buf[FL_IN_CAP];
static size_t in_len;
static uint8_t out_buf[4u + FL_MAX_FRAME];
static uint8_t pkt_buf[FL_MAX_PACKET];

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Writes all of buf to stdout; exits quietly when node has gone (EPIPE). */
static void write_all(const uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(0);
    }
    buf += (size_t)n;
    len -= (size_t)n;
  }
}

/* Writes one frame: type and up to three payload pieces (head, body), bounded by FL_MAX_FRAME. */
static void write_frame(uint8_t type, const uint8_t *head, size_t head_len, const uint8_t *body, size_t body_len) {
  if (head_len + body_len > FL_MAX_FRAME - 1u) return;
  uint32_t len = (uint32_t)(1u + head_len + body_len);
  put_u32(out_buf, len);
  out_buf[4] = type;
  if (head_len > 0) memcpy(out_buf + 5, head, head_len);
  if (body_len > 0) memcpy(out_buf + 5 + head_len, body, body_len);
  write_all(out_buf, 4u + len);
}

static void send_error(const char *where, int err) {
  char line[256];
  const char *name = strerrorname_np(err);
  int n = snprintf(line, sizeof line, "%s %s: %s", where, name ? name : "EUNKNOWN", strerror(err));
  if (n < 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  write_frame(FL_T_ERROR, (const uint8_t *)line, len, NULL, 0);
}

static void send_error_text(const char *line) {
  write_frame(FL_T_ERROR, (const uint8_t *)line, strlen(line), NULL, 0);
}

static int open_raw(int protocol, const char *where) {
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    send_error(where, errno);
    return -1;
  }
  return fd;
}

static int setup_receiver(int fd) {
  int on = 1;
  int rcvbuf = 4 * 1024 * 1024;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) return -1;
  /* Best effort: a larger receive queue for bursts of answers (capped by net.core.rmem_max). */
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  return 0;
}

/* Drops every capability once the sockets are open (best effort): the helper needs none after socket(2). */
static void drop_capabilities(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  (void)syscall(SYS_capset, &hdr, data);
}

/* Sends one SEND payload: a whole IPv4 packet whose header is checked against the bytes present. */
static void handle_send(int raw_fd, const uint8_t *p, size_t len) {
  if (len < 20u || len > FL_MAX_PACKET) { send_error_text("send EINVAL: packet length out of range 20..65535"); return; }
  if ((p[0] >> 4) != 4u) { send_error_text("send EINVAL: not an IPv4 packet"); return; }
  size_t ihl = (size_t)(p[0] & 0x0fu) * 4u;
  size_t total = ((size_t)p[2] << 8) | p[3];
  if (ihl < 20u || ihl > len) { send_error_text("send EINVAL: bad IPv4 header length"); return; }
  if (total != len) { send_error_text("send EINVAL: IPv4 total length differs from the packet length"); return; }
  struct sockaddr_in dst;
  memset(&dst, 0, sizeof dst);
  dst.sin_family = AF_INET;
  memcpy(&dst.sin_addr.s_addr, p + 16, 4);
  for (;;) {
    if (sendto(raw_fd, p, len, 0, (const struct sockaddr *)&dst, sizeof dst) >= 0) return;
    if (errno == EINTR) continue;
    send_error("send", errno);
    return;
  }
}

/* The AF_PACKET capture socket (SOCK_DGRAM, so packets start at the IPv4 header), opened at start while the helper
 * still holds CAP_NET_RAW; -1 when it could not be opened. */
static int cap_fd = -1;
static unsigned cap_snap = FL_MAX_CAPTURED;

static void put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v;
}

static int attach_filter(struct sock_filter *code, unsigned short len) {
  struct sock_fprog prog = {len, code};
  return setsockopt(cap_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/* Stops delivery: a filter that accepts nothing (a packet socket cannot be unbound once bound), then empties the queue. */
static int capture_silence(void) {
  struct sock_filter drop[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  if (attach_filter(drop, 1) < 0) return -1;
  while (recv(cap_fd, pkt_buf, sizeof pkt_buf, MSG_DONTWAIT | MSG_TRUNC) >= 0) {}
  return 0;
}

static void send_capture_state(uint8_t state) {
  write_frame(FL_T_CAPTURE_STATE, &state, 1, NULL, 0);
}

/* CAPTURE_START: IPv4 UDP datagrams (first fragments only) to `port` (0: any) on one interface or all, cut at `snap`.
 * The classic BPF program runs on the network header (SOCK_DGRAM): protocol IPv4, IP protocol 17, fragment offset 0,
 * then the UDP destination port behind the IPv4 header length. */
static void handle_capture_start(const uint8_t *p, size_t len) {
  if (cap_fd < 0) { send_error_text("capture EOPNOTSUPP: no AF_PACKET socket (see READY flag bit 1)"); return; }
  if (len < 4u || len > 4u + IFNAMSIZ - 1u) { send_error_text("capture EINVAL: CAPTURE_START payload length out of range 4..19"); return; }
  unsigned port = ((unsigned)p[0] << 8) | p[1];
  unsigned snap = ((unsigned)p[2] << 8) | p[3];
  char ifname[IFNAMSIZ];
  memset(ifname, 0, sizeof ifname);
  memcpy(ifname, p + 4, len - 4u);
  unsigned ifindex = 0;
  if (len > 4u) {
    ifindex = if_nametoindex(ifname);
    if (ifindex == 0) { send_error("capture", errno); return; }
  }
  if (capture_silence() < 0) { send_error("capture", errno); return; }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL); /* ETH_P_ALL: outgoing packets reach only "all" taps */
  sll.sll_ifindex = (int)ifindex;
  if (bind(cap_fd, (const struct sockaddr *)&sll, sizeof sll) < 0) { send_error("capture", errno); return; }
  cap_snap = snap == 0u || snap > FL_MAX_CAPTURED ? FL_MAX_CAPTURED : snap;
  struct sock_filter code[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, cap_snap),
    BPF_STMT(BPF_RET | BPF_K, 0),
  };
  /* Port 0: any UDP; the port test becomes "always". */
  if (port == 0u) code[8] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
  if (attach_filter(code, (unsigned short)(sizeof code / sizeof code[0])) < 0) { send_error("capture", errno); return; }
  send_capture_state(1);
}

static void handle_capture_stop(void) {
  if (cap_fd >= 0 && capture_silence() < 0) { send_error("capture", errno); return; }
  send_capture_state(0);
}

/* Points `msg` at one receive buffer, the sender's address and a control buffer. */
static void msg_init(struct msghdr *msg, void *name, socklen_t name_len, struct iovec *iov, void *ctl, size_t ctl_len) {
  memset(msg, 0, sizeof *msg);
  msg->msg_name = name;
  msg->msg_namelen = name_len;
  msg->msg_iov = iov;
  msg->msg_iovlen = 1;
  msg->msg_control = ctl;
  msg->msg_controllen = ctl_len;
}

/* The kernel's receive time of a packet (SO_TIMESTAMPNS), or the time now when the kernel gave none. */
static struct timespec packet_time(struct msghdr *msg) {
  struct timespec ts = {0, 0};
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof ts)) {
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return ts;
    }
  }
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

/* Writes a time as the frames carry it: seconds (high and low 32 bits) and nanoseconds, 12 bytes. */
static void put_time(uint8_t *p, struct timespec ts) {
  uint64_t sec = (uint64_t)ts.tv_sec;
  put_u32(p, (uint32_t)(sec >> 32));
  put_u32(p + 4, (uint32_t)sec);
  put_u32(p + 8, (uint32_t)ts.tv_nsec);
}

/* Reads one captured packet and forwards it as CAPTURED with its kernel timestamp, interface and packet type. */
static void forward_captured(void) {
  struct iovec iov = {pkt_buf, sizeof pkt_buf};
  union {
    char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    struct cmsghdr align;
  } ctl;
  struct sockaddr_ll from;
  struct msghdr msg;
  memset(&from, 0, sizeof from);
  msg_init(&msg, &from, sizeof from, &iov, ctl.buf, sizeof ctl.buf);
  /* MSG_TRUNC: the return value is the packet's whole length even when the filter cut it. */
  ssize_t n = recvmsg(cap_fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
  if (n <= 0) return;
  size_t got = (size_t)n < sizeof pkt_buf ? (size_t)n : sizeof pkt_buf;
  if (got > cap_snap) got = cap_snap;
  size_t orig = (size_t)n; /* the filter's cut shortens the packet itself: PACKET_AUXDATA tells its length before */
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata))) {
      struct tpacket_auxdata aux;
      memcpy(&aux, CMSG_DATA(c), sizeof aux);
      orig = aux.tp_len;
    }
  }
  uint8_t head[FL_CAPTURED_PREFIX];
  put_time(head, packet_time(&msg));
  put_u32(head + 12, (uint32_t)from.sll_ifindex);
  head[16] = from.sll_pkttype;
  put_u16(head + 17, (uint16_t)(orig > 0xffffu ? 0xffffu : orig));
  write_frame(FL_T_CAPTURED, head, sizeof head, pkt_buf, got);
}

/* Parses every whole frame in in_buf; returns -1 on a malformed frame. */
static int drain_input(int raw_fd) {
  size_t at = 0;
  while (in_len - at >= 4u) {
    uint32_t len = get_u32(in_buf + at);
    if (len < 1u || len > FL_MAX_FRAME) { send_error_text("frame EPROTO: frame length out of range"); return -1; }
    if (in_len - at - 4u < len) break;
    uint8_t type = in_buf[at + 4];
    if (type == FL_T_SEND) handle_send(raw_fd, in_buf + at + 5, len - 1u);
    else if (type == FL_T_CAPTURE_START) handle_capture_start(in_buf + at + 5, len - 1u);
    else if (type == FL_T_CAPTURE_STOP) handle_capture_stop();
    else send_error_text("frame EPROTO: unknown frame type from node (ignored)");
    at += 4u + len;
  }
  if (at > 0) {
    memmove(in_buf, in_buf + at, in_len - at);
    in_len -= at;
  }
  return 0;
}

/* Reads one packet from a raw receive socket and forwards it as RECV with its kernel timestamp. */
static void forward_packet(int fd) {
  struct iovec iov = {pkt_buf, sizeof pkt_buf};
  union { char buf[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } ctl;
  struct sockaddr_in from;
  struct msghdr msg;
  msg_init(&msg, &from, sizeof from, &iov, ctl.buf, sizeof ctl.buf);
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n <= 0) return;
  if ((msg.msg_flags & MSG_TRUNC) != 0) return;
  uint8_t head[FL_RECV_PREFIX];
  put_time(head, packet_time(&msg));
  write_frame(FL_T_RECV, head, sizeof head, pkt_buf, (size_t)n);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int raw_fd = open_raw(IPPROTO_RAW, "socket(IPPROTO_RAW)");
  if (raw_fd < 0) return 1;
  int icmp_fd = open_raw(IPPROTO_ICMP, "socket(IPPROTO_ICMP)");
  if (icmp_fd < 0) return 1;
  if (setup_receiver(icmp_fd) < 0) { send_error("setsockopt(SO_TIMESTAMPNS)", errno); return 1; }
  /* ICMP_FILTER drops the types whose bit is set: keep only the errors that answer probes. */
  struct icmp_filter filter = {~((1u << ICMP_DEST_UNREACH) | (1u << ICMP_TIME_EXCEEDED) | (1u << ICMP_PARAMETERPROB))};
  if (setsockopt(icmp_fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter) < 0) { send_error("setsockopt(ICMP_FILTER)", errno); return 1; }
  /* A raw TCP socket sees a copy of every TCP segment to this host (answers to TCP probes); optional. */
  int tcp_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
  if (tcp_fd >= 0 && setup_receiver(tcp_fd) < 0) { close(tcp_fd); tcp_fd = -1; }
  /* An AF_PACKET socket for CAPTURE_START; optional. Protocol 0: it receives nothing until bound. */
  cap_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int aux_on = 1;
  if (cap_fd >= 0 && (setup_receiver(cap_fd) < 0 || setsockopt(cap_fd, SOL_PACKET, PACKET_AUXDATA, &aux_on, sizeof aux_on) < 0)) {
    close(cap_fd);
    cap_fd = -1;
  }
  drop_capabilities();
  uint8_t ready[2] = {FL_VERSION, (uint8_t)((tcp_fd >= 0 ? 1u : 0u) | (cap_fd >= 0 ? 2u : 0u))};
  write_frame(FL_T_READY, ready, sizeof ready, NULL, 0);

  struct pollfd fds[4] = {{STDIN_FILENO, POLLIN, 0}, {icmp_fd, POLLIN, 0}, {cap_fd, POLLIN, 0}, {tcp_fd, POLLIN, 0}};
  nfds_t nfds = tcp_fd >= 0 ? 4 : 3;
  for (;;) {
    if (poll(fds, nfds, -1) < 0) {
      if (errno == EINTR) continue;
      send_error("poll", errno);
      return 1;
    }
    if ((fds[1].revents & POLLIN) != 0) forward_packet(icmp_fd);
    if ((fds[2].revents & POLLIN) != 0) forward_captured();
    if (nfds > 3 && (fds[3].revents & POLLIN) != 0) forward_packet(tcp_fd);
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t n = read(STDIN_FILENO, in_buf + in_len, sizeof in_buf - in_len);
      if (n == 0) return 0;
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return 0;
      }
      in_len += (size_t)n;
      if (drain_input(raw_fd) < 0) return 2;
    }
  }
}
