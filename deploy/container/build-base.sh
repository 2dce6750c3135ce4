#!/usr/bin/env bash
# The offline base image for machines without registry access: Debian 12 (bookworm) minbase plus what a self-contained
# .NET app needs (ca-certificates, libicu72, libssl3, libstdc++6, tzdata), made with debootstrap from the machine's own
# apt mirror and imported as localhost/finetune-base:bookworm. Needs root, debootstrap and podman. About 35 s, ~125 MB.
#   deploy/container/build-base.sh [TAG]
set -euo pipefail
tag="${1:-localhost/finetune-base:bookworm}"
[[ $(id -u) == 0 ]] || { echo "build-base.sh: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build-base.sh: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }

# The mirror serving bookworm, from this machine's apt sources (deb822 .sources first, then one-line .list files):
# never written into any file.
mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk 'BEGIN{RS="";FS="\n"} {u="";s=""; for(i=1;i<=NF;i++){ if($i~/^URIs:/){sub(/^URIs:[ \t]*/,"",$i); split($i,a," "); u=a[1]} if($i~/^Suites:/){s=" "$i" "} }
         if(u!="" && s ~ / bookworm /){print u; exit}}' "$f"
  done
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | awk '$1=="deb" && $0 ~ / bookworm / {for(i=2;i<=NF;i++) if($i ~ /^[a-z]+:\/\//){print $i; exit}}'
}
url="$(mirror | head -n 1 || true)"
[[ -n $url ]] || { echo "build-base.sh: no apt source for bookworm found in /etc/apt/sources.list*" >&2; exit 1; }

root="$(mktemp -d /tmp/finetune-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,libstdc++6,tzdata bookworm "$root" "$url" >"$root.log" 2>&1 \
  || { tail -n 20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# The image's user (uid/gid 1654 as in Microsoft's .NET images, so manifests can say runAsUser: 1654 for either base).
echo 'app:x:1654:1654::/home/app:/usr/sbin/nologin' >>"$root/etc/passwd"
echo 'app:x:1654:' >>"$root/etc/group"
install -d -o 1654 -g 1654 "$root/home/app"
# Smaller: apt lists and caches, docs and man pages are of no use in a runtime image.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
       "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
echo "$tag"
