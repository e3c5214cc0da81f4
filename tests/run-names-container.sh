#!/bin/sh
# Containers: a binary that exists only in its process's mount namespace
# is named through /proc/PID/root, and processes in cgroups laid out as
# container runtimes lay them out are labelled container_id=<their ID>.
. "$(dirname "$0")/test-subr.sh"
require_root
require_perf_events

hz=199 secs=3

# The binary is copied into a tmpfs mounted only in a new mount namespace,
# over a directory that is empty on the host, and run from there.
mkdir "$tmp/ctr"
unshare -m --propagation private sh -c \
    'mount -t tmpfs tmpfs "$1" && cp "$2" "$1/hot-ns" && exec "$1/hot-ns" "$3" "$4"' \
    sh "$tmp/ctr" "$HOT631" $((secs + 5)) "$tmp/ready" 2>"$tmp/unshare.err" &
ns_pid=$!
bg_track $ns_pid
n=0
until [ -e "$tmp/ready" ]; do
	kill -0 $ns_pid 2>/dev/null || {
		cat "$tmp/unshare.err" >&2
		skip "cannot run a program in a mount namespace of its own"
	}
	[ $n -lt 100 ] || fail "the program in the namespace did not start"
	sleep 0.05
	n=$((n + 1))
done
[ ! -e "$tmp/ctr/hot-ns" ] || fail "$tmp/ctr/hot-ns is visible on the host"
echo "in a mount namespace: $(readlink /proc/$ns_pid/exe), not on the host"
mkdir "$tmp/ns"
run_profdropd_log "$tmp/ns.log" --pid $ns_pid --frequency $hz \
    --duration $secs --output-dir "$tmp/ns"
raw_traces "$tmp/ns/$(profiles "$tmp/ns")" >"$tmp/ns.traces"
echo "$(trace_count "$tmp/ns.traces") samples"
hot631_named "$tmp/ns.traces" hot-ns
assert_ge "$(trace_share "$tmp/ns.traces" traces_with main)" 97 \
    "% of samples through main"

# Container IDs from cgroup v2 paths, one layout per runtime.
cg=$(cgroup2_root)
if [ -z "$cg" ]; then
	mkdir "$tmp/cg2"
	mount -t cgroup2 cgroup2 "$tmp/cg2" || skip "kernel without cgroup v2"
	at_exit "umount '$tmp/cg2'"
	cg=$tmp/cg2
fi
[ -w "$cg/cgroup.procs" ] || skip "cgroup v2 at $cg is not writable"
pod=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$(random_hex 4)_$(random_hex 2).slice
layouts="docker:system.slice/docker-%s.scope docker-cgroupfs:docker/%s
containerd:$pod/cri-containerd-%s.scope crio:$pod/crio-%s.scope
podman:machine.slice/libpod-%s.scope"
# The cgroups made go at exit, once the programs in them are gone: the
# last made first, each before its parent.
pids= made=
at_exit 'for d in $made; do rmdir "$d"; done'
for l in $layouts; do
	name=${l%%:*}
	id=$(random_hex 32)
	dir=$cg/$(printf "${l#*:}" $id)
	d=$dir new=
	while [ "$d" != "$cg" ] && [ ! -d "$d" ]; do
		new="$new $d"
		d=${d%/*}
	done
	made="$new $made"
	mkdir -p "$dir" || skip "cannot make cgroups under $cg"
	start_busy $((secs + 5)) "$name"
	echo $busy_pid >"$dir/cgroup.procs"
	echo "$name: $busy_pid in ${dir#$cg}"
	echo "$name $id" >>"$tmp/ids"
	pids=$pids,$busy_pid
done
start_busy $((secs + 5)) host
pids=$pids,$busy_pid
mkdir "$tmp/cg"
run_profdropd_log "$tmp/cg.log" --pid ${pids#,} --frequency $hz \
    --duration $secs --output-dir "$tmp/cg"
raw_samples "$tmp/cg/$(profiles "$tmp/cg")" >"$tmp/cg.samples"
# labelled COMM LABEL: the samples of COMM, and how many of them have LABEL
# (KEY= for any value of KEY).
labelled() {
	awk -F '|' -v comm=" comm=$1 " -v want=" $2" '
		index(" " $2 " ", comm) {
			split($1, v, " ")
			n += v[1]
			if (index(" " $2 " ", want))
				ok += v[1]
		}
		END { print n + 0, ok + 0 }' "$tmp/cg.samples"
}
# Every layout is checked; the failures are listed at the end.
failures=
while read name id; do
	set -- $(labelled $name "container_id=$id ")
	echo "$name: $2 of $1 samples labelled container_id=$id"
	[ $1 -ge 20 ] || failures="$failures $name: $1 samples;"
	[ $1 = $2 ] || failures="$failures $name: $(($1 - $2)) samples without its ID;"
done <"$tmp/ids"
[ -z "$failures" ] || fail "$failures"
# The test's own processes are not in a container, unless the test is.
if ! grep -Eq '[0-9a-f]{64}' /proc/self/cgroup; then
	set -- $(labelled host container_id=)
	echo "host: $2 of $1 samples with a container_id"
	[ "$2" = 0 ] || fail "a process outside containers has a container_id"
fi
