# shellcheck shell=bash
# pack_binary ROOTFS DEST SRC: copy host executable SRC to ROOTFS/DEST together
# with every shared library `ldd` lists (at the same absolute paths, symlinks
# resolved), so it runs in a minimal image. Needs scripts/lib/common.sh.
pack_binary() {
  local rootfs=$1 dest=$2 src lib
  src=$(readlink -f "$3")
  [ -x "$src" ] || die "$3 is not an executable file"
  if ldd "$src" | grep -q 'not found'; then
    die "$src needs libraries that are missing on this host" "ldd $src"
  fi
  install -D -m 0755 "$src" "$rootfs$dest"
  # "libx.so => /path (0x..)" and "/lib64/ld-linux-x86-64.so.2 (0x..)"; skip linux-vdso.
  while read -r lib; do
    install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
  done < <(ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

# copy_host_ca_bundle ROOTFS: the host's CA bundle (lets npm work behind a TLS-inspecting proxy).
copy_host_ca_bundle() {
  local f=/etc/ssl/certs/ca-certificates.crt
  if [ -f "$f" ]; then install -D -m 0644 "$f" "$1$f"; fi
}
