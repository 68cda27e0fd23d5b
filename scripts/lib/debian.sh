# Shared by the scripts that build Debian chroots (sourced, not run).

# The Debian mirror this machine already uses (never a hard-coded host).
debian_mirror() {
  local m=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i !~ /security/) {print $i; exit}}' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' \
      /etc/apt/sources.list)
  fi
  if [ -z "$m" ]; then
    echo "no Debian mirror found in /etc/apt/sources.list(.d): cannot debootstrap" >&2
    exit 1
  fi
  echo "$m"
}
