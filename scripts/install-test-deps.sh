#!/usr/bin/env bash
# Installs the Debian packages flowlens's test suites need. Idempotent and non-interactive: packages already present are
# not fetched again, and `apt-get update` runs only when something is missing.
# scamper and traceroute are the path tracing oracles, snmpd/snmp the SNMP provider's peer, nats-server the scale-out
# engine, chromium the browser of the dashboard tests (driven by playwright-core).
# vsftpd plays both FTP servers (primary and secondary) of the collector tests; pure-ftpd conflicts with it in Debian.
set -euo pipefail

# package -> a file it installs (to tell whether it is present without asking dpkg for every one)
declare -A PACKAGES=(
  [tshark]=/usr/bin/tshark
  [wireshark-common]=/usr/bin/editcap
  [softflowd]=/usr/sbin/softflowd
  [nfdump]=/usr/bin/nfcapd
  [vsftpd]=/usr/sbin/vsftpd
  [bgpdump]=/usr/bin/bgpdump
  [openssl]=/usr/bin/openssl
  [tcpdump]=/usr/bin/tcpdump
  [iproute2]=/usr/sbin/ip
  [python3-minimal]=/usr/bin/python3
  [nftables]=/usr/sbin/nft
  [scamper]=/usr/bin/scamper
  [traceroute]=/usr/bin/traceroute.db
  [snmpd]=/usr/sbin/snmpd
  [snmp]=/usr/bin/snmpget
  [nats-server]=/usr/sbin/nats-server
  [chromium]=/usr/bin/chromium
  [systemd]=/usr/bin/systemd-analyze
  [fonts-dejavu-core]=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
)

missing=()
for pkg in "${!PACKAGES[@]}"; do
  [ -e "${PACKAGES[$pkg]}" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: all Debian packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
echo "install-test-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-deps: done"
