#!/bin/sh
# Install the Debian packages kerntok builds and tests with, when missing.
# Called by every make target that needs them; quiet when all are present.
set -e
PKGS="build-essential keyutils libkeyutils-dev libkcapi-dev kcapi-tools libtss2-dev tpm2-tools
 swtpm swtpm-tools libcunit1-dev libssl-dev openssl libp11-kit-dev p11-kit p11-kit-modules opensc
 gnutls-bin python3 python3-pykcs11 python3-cryptography libengine-pkcs11-openssl softhsm2 openssh-client valgrind clang
 libclang-rt-14-dev procps util-linux"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
