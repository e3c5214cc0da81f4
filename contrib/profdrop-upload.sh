#!/bin/sh
# An example uploader for the drop directory's contract: profdropd links
# each file under its final name only once it is whole and synced (the
# hidden .profdrop-*.tmp names are never final), so a watcher may send any
# name that appears, and remove it (or keep it in sent/) once the server
# has it. usage: profdrop-upload.sh DIR URL
# Needs inotifywait (inotify-tools) and curl.
set -u
dir=$1 url=$2
mkdir -p "$dir/sent"

send() {
	[ -f "$dir/$1" ] || return 0
	if curl -fsS -H 'Content-Type: application/octet-stream' \
	    -H "X-Profile-Type: ${1%%-*}" --data-binary "@$dir/$1" "$url"; then
		mv "$dir/$1" "$dir/sent/$1"
	else
		echo "profdrop-upload: $1 not sent; it is tried again later" >&2
	fi
}

# Send what is there, oldest first, then wait for a new name. The wait
# times out so that a name made between the two is not left waiting.
while :; do
	for f in $(cd "$dir" && ls -tr -- *.pb.gz 2>/dev/null); do
		send "$f"
	done
	inotifywait -q -t 10 -e create -e moved_to "$dir" >/dev/null
	[ $? != 1 ] || exit 1	# 2 is the time-out
done
