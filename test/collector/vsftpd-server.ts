/**
 * A real vsftpd for the shipping tests, on 127.0.0.1 only, with everything in a temporary directory.
 *
 * Login: anonymous (user `anonymous`, any password), chrooted by vsftpd into `<base>/root` (owned by root, not
 * writable, as vsftpd demands for a chroot), with upload, mkdir, rename and delete allowed in `<base>/root/in`, which is
 * owned by Debian's `ftp` user (vsftpd's default `ftp_username`, created by the vsftpd package): nothing is added to
 * or changed on the system. vsftpd needs root for this (chroot, privilege drop), so the suites also require root.
 * Passive data ports are a block of 10 loopback ports found free at start. The server runs in the foreground
 * (`background=NO`) as a child process in its own process group; {@link VsftpdServer.stop} kills that group (the
 * listener and its per-session children) by the child's PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { needsProgram, requirement } from "../helpers/requirements.ts";

/** Skip reason (or false) of a suite that runs vsftpd. */
export function needsVsftpd(): false | string {
  return (
    needsProgram("vsftpd") || requirement(process.getuid?.() === 0, "vsftpd tests run as root (chroot, privilege drop)")
  );
}

function ftpUserIds(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("ftp:"));
  if (line === undefined) throw new Error("no ftp user (installed by the vsftpd package)");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** A free loopback port chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function freePortBlock(size: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const first = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let p = first; p < first + size && ok; p++) ok = await portFree(p);
    if (ok) return first;
  }
  throw new Error("no block of free loopback ports for passive FTP");
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** A vsftpd child process with its configuration; can be stopped and started again on the same port. */
export class VsftpdServer {
  /** Control port on 127.0.0.1. */
  readonly port: number;
  /** The anonymous user's root (`/` as the client sees it). */
  readonly root: string;
  /** `<root>/in`, writable by the anonymous user (`/in/` in URLs). */
  readonly uploadDir: string;
  readonly #conf: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;

  private constructor(base: string, port: number) {
    this.port = port;
    this.root = join(base, "root");
    this.uploadDir = join(this.root, "in");
    this.#conf = join(base, "vsftpd.conf");
  }

  /** Writes the configuration into `base` (created) and starts the server. */
  static async create(base: string): Promise<VsftpdServer> {
    const server = new VsftpdServer(base, await freePort());
    const empty = join(base, "empty");
    await mkdir(server.uploadDir, { recursive: true });
    await mkdir(empty, { recursive: true });
    for (const dir of [base, server.root, empty]) await chmod(dir, 0o755);
    const ftp = ftpUserIds();
    await chown(server.uploadDir, ftp.uid, ftp.gid);
    const pasv = await freePortBlock(10);
    const conf = [
      "listen=YES",
      "listen_ipv6=NO",
      "listen_address=127.0.0.1",
      `listen_port=${server.port}`,
      "background=NO",
      "anonymous_enable=YES",
      "local_enable=NO",
      "no_anon_password=YES",
      `anon_root=${server.root}`,
      "write_enable=YES",
      "anon_upload_enable=YES",
      "anon_mkdir_write_enable=YES",
      "anon_other_write_enable=YES",
      "anon_umask=022",
      "pasv_enable=YES",
      "pasv_address=127.0.0.1",
      `pasv_min_port=${pasv}`,
      `pasv_max_port=${pasv + 9}`,
      "port_enable=NO",
      `secure_chroot_dir=${empty}`,
      "xferlog_enable=NO",
      "syslog_enable=NO",
      "seccomp_sandbox=NO",
    ];
    await writeFile(server.#conf, `${conf.join("\n")}\n`);
    await server.start();
    return server;
  }

  /** PID of the running server, if running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts vsftpd and waits until it accepts connections (5 s at most). */
  async start(): Promise<void> {
    if (this.#child !== undefined) return;
    let stderr = "";
    const child = spawn("/usr/sbin/vsftpd", [this.#conf], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + 5000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await this.stop();
        throw new Error(`vsftpd did not start: ${stderr.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills the server's process group (SIGKILL: the listener and its sessions) by the child's PID. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.pid === undefined) return;
    this.#child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await this.#exited;
  }
}
