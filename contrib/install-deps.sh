#!/bin/sh
# Install what profdrop needs to build and to run its tests (make check).
# Safe to run again: it does nothing when everything is installed.
set -e

deb_pkgs="build-essential autoconf automake libtool pkg-config libunwind-dev
libelf-dev libdw-dev libprotobuf-c-dev protobuf-c-compiler libcurl4-openssl-dev
zlib1g-dev libiberty-dev golang-go rustc debuginfod util-linux procps gzip
prometheus inotify-tools curl systemd groff-base
time xz-utils openssl libxml2-utils chromium librsvg2-bin"
# tests/run-kemu.sh --real boots old kernels: QEMU, a static busybox, cpio.
deb_pkgs="$deb_pkgs qemu-system-x86 busybox-static cpio"
rpm_pkgs="gcc make autoconf automake libtool pkgconfig libunwind-devel
elfutils-libelf-devel elfutils-devel protobuf-c-devel protobuf-c-compiler
libcurl-devel zlib-devel binutils-devel golang rust elfutils-debuginfod
perf util-linux procps-ng gzip time xz openssl libxml2 chromium
librsvg2-tools"
# RHEL ships cpio but neither qemu-system-x86_64 nor busybox.
rpm_pkgs="$rpm_pkgs cpio"

sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps.sh: run as root (sudo not found)" >&2
		exit 1
	}
	sudo=sudo
fi

if command -v apt-get >/dev/null 2>&1; then
	# Debian ships perf as linux-perf; Ubuntu per kernel in linux-tools-*.
	if grep -qi '^ID.*ubuntu' /etc/os-release 2>/dev/null; then
		perf_pkgs="linux-tools-common linux-tools-$(uname -r)"
	else
		deb_pkgs="$deb_pkgs linux-perf"
		perf_pkgs=
	fi
	missing=
	for p in $deb_pkgs $perf_pkgs; do
		dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null |
		    grep -q 'ok installed' || missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		echo "install-deps.sh: all dependencies are installed"
		exit 0
	fi
	echo "install-deps.sh: installing$missing"
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $deb_pkgs
	if [ -n "$perf_pkgs" ]; then
		# shellcheck disable=SC2086
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $perf_pkgs ||
		    echo "install-deps.sh: warning: no perf package for kernel" \
			"$(uname -r); perf is optional for the tests" >&2
	fi
elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then
	installer=dnf
	command -v dnf >/dev/null 2>&1 || installer=yum
	missing=
	for p in $rpm_pkgs; do
		rpm -q --whatprovides "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		echo "install-deps.sh: all dependencies are installed"
		exit 0
	fi
	echo "install-deps.sh: installing with $installer:$missing"
	echo "(libunwind-devel and protobuf-c-devel come from EPEL and CRB on RHEL)"
	echo "(run-kemu.sh --real needs qemu-system-x86_64 and busybox:" \
	    "qemu-system-x86-core and busybox on Fedora)"
	# shellcheck disable=SC2086
	$sudo $installer install -y -q $missing
else
	echo "install-deps.sh: no apt-get, dnf or yum here; install by hand:" >&2
	echo "  a C compiler and make, autoconf, automake, libtool, pkg-config," >&2
	echo "  libunwind, elfutils (libelf, libdw), protobuf-c and protoc-c," >&2
	echo "  libcurl, zlib (all with headers); for the tests: go (go tool" >&2
	echo "  pprof), perf, util-linux (setpriv, mount), procps, gzip;" >&2
	echo "  for run-kemu.sh --real: qemu-system-x86_64, a static busybox," >&2
	echo "  cpio" >&2
	exit 1
fi
