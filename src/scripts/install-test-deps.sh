#!/usr/bin/env bash
# Installs what wiretrace's tests need on a Debian (bookworm) machine:
#   * Debian packages: libpcap0.8 tcpdump tshark nftables iproute2 ethtool,
#     chromium with fonts-liberation (the report is rendered headless in a test),
#     and the database servers the tests start on loopback: postgresql-15 and
#     mariadb-server (their services are not used; the tests run their own)
#   * a JDK 11 at ${WIRETRACE_JDK11:-/opt/wiretrace/jdk-11}, taken from Debian
#     bullseye's openjdk-11-{jre,jdk}-headless packages (JDK 11 is not packaged
#     for bookworm). The packages are fetched with a private, throw-away apt
#     configuration: the system's apt sources, lists and caches are not touched.
#
# Idempotent: when everything is already there it downloads nothing and prints
# only the one line saying where the JDK 11 is.
#
# Options:
#   --verify   also run the full JDK 11 checks (javac, JFR, jcmd attach) on an
#              already installed JDK 11
# Environment:
#   WIRETRACE_JDK11             where the JDK 11 lives (default /opt/wiretrace/jdk-11)
#   WIRETRACE_BULLSEYE_SOURCES  sources.list lines to fetch the bullseye packages
#                               from (default: derived from the system's Debian
#                               mirror: <mirror> bullseye + <security mirror>
#                               bullseye-security)
set -euo pipefail

readonly DEB_PACKAGES=(libpcap0.8 tcpdump tshark nftables iproute2 ethtool chromium fonts-liberation
  openssl postgresql-15 mariadb-server)
readonly JDK_PACKAGES=(openjdk-11-jre-headless openjdk-11-jdk-headless)
readonly JVM_SUBDIR=usr/lib/jvm/java-11-openjdk-amd64
readonly KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

JDK11_DIR=$(realpath -m -- "${WIRETRACE_JDK11:-/opt/wiretrace/jdk-11}")
VERIFY=false
for arg in "$@"; do
  case "$arg" in
    --verify) VERIFY=true ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "install-test-deps: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log()  { echo "install-test-deps: $*" >&2; }
warn() { echo "install-test-deps: WARNING: $*" >&2; }
die()  { echo "install-test-deps: ERROR: $*" >&2; exit 1; }

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root for: $*"
  fi
}

# Runs a command with its output kept in a log file; shows the log if it fails.
run_logged() {
  local out rc=0
  out=$(mktemp "${TMPDIR:-/tmp}/install-test-deps.XXXXXX")
  "$@" >"$out" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "install-test-deps: command failed (exit $rc): $*" >&2
    sed 's/^/    /' "$out" >&2
  fi
  rm -f "$out"
  return "$rc"
}

# --------------------------------------------------------------------------
# (a) Debian packages
# --------------------------------------------------------------------------
is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

install_debian_packages() {
  local missing=() p
  for p in "$@"; do is_installed "$p" || missing+=("$p"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0

  log "installing Debian packages: ${missing[*]}"
  # wireshark-common (pulled in by tshark) asks whether non-root users may
  # capture packets; answer it up front (no: the tests capture as root).
  echo 'wireshark-common wireshark-common/install-setuid boolean false' \
    | as_root debconf-set-selections
  run_logged as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get -q -o DPkg::Lock::Timeout=300 update
  run_logged as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get -q -y -o DPkg::Lock::Timeout=300 \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      install --no-install-recommends "${missing[@]}"
  for p in "${missing[@]}"; do is_installed "$p" || die "package $p did not install"; done
}

# --------------------------------------------------------------------------
# (b) JDK 11
# --------------------------------------------------------------------------
jdk11_works() {
  local v
  v=$("$1/bin/java" -version 2>&1) || return 1
  [[ $v == *'version "11.'* ]] || return 1
  "$1/bin/javac" -version >/dev/null 2>&1
}

jdk_version_line() { "$1/bin/java" -version 2>&1 | head -n1; }

# Prints sources.list lines for bullseye on the same mirror(s) the system uses.
bullseye_sources() {
  local tier=$1 archive="" security="" uri rel base
  if [[ -n "${WIRETRACE_BULLSEYE_SOURCES:-}" ]]; then
    [[ $tier == 1 ]] && printf '%s\n' "$WIRETRACE_BULLSEYE_SOURCES"
    return 0
  fi
  while read -r uri rel; do
    uri=${uri%/}
    case "$rel" in
      *-security) if [[ -z $security ]]; then security=$uri; fi ;;
      *-updates|*-backports|*-proposed-updates) ;;
      *) if [[ -z $archive && $uri == */debian ]]; then archive=$uri; fi ;;
    esac
  done < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null | sort -u)
  [[ -n $archive ]] || archive=http://deb.debian.org/debian
  [[ -n $security ]] || security=${archive%/debian}/debian-security
  local opts="[signed-by=$KEYRING]"
  case "$tier" in
    1) # the regular archive and its security suite
      echo "deb $opts $archive bullseye main"
      echo "deb $opts $security bullseye-security main"
      ;;
    2) # once bullseye has left the main archive: archive paths on the same host
      base=$(sed -E 's#^([a-z]+://[^/]+).*#\1#' <<<"$archive")
      echo "deb $opts $base/debian-archive/debian bullseye main"
      echo "deb $opts $base/debian-archive/debian-security bullseye-security main"
      echo "deb $opts $base/debian bullseye-updates main"
      ;;
  esac
}

# Writes a private apt configuration under $1 (nothing of /etc/apt is read
# apart from the keyring; nothing under /var/lib/apt or /var/cache/apt is written).
write_private_apt_conf() {
  local d=$1 proxy=""
  mkdir -p "$d/etc/apt.conf.d" "$d/etc/sources.list.d" "$d/etc/preferences.d" \
           "$d/lists/partial" "$d/cache/archives/partial" "$d/deb"
  : >"$d/etc/sources.list"
  proxy=$(apt-config dump --format '%v%n' Acquire::http::Proxy 2>/dev/null | head -n1 || true)
  cat >"$d/apt.conf" <<EOF
Dir::Etc::main "/dev/null";
Dir::Etc::parts "$d/etc/apt.conf.d";
Dir::Etc::sourcelist "$d/etc/sources.list";
Dir::Etc::sourceparts "$d/etc/sources.list.d";
Dir::Etc::preferences "/dev/null";
Dir::Etc::preferencesparts "$d/etc/preferences.d";
Dir::State::lists "$d/lists";
Dir::Cache "$d/cache";
Dir::Cache::pkgcache "$d/cache/pkgcache.bin";
Dir::Cache::srcpkgcache "$d/cache/srcpkgcache.bin";
Acquire::Languages "none";
Acquire::Retries "3";
// bullseye is an old release; mirrors may serve snapshots whose Release
// files are past Valid-Until. The signature is still checked.
Acquire::Check-Valid-Until "false";
EOF
  [[ -n $proxy ]] && echo "Acquire::http::Proxy \"$proxy\";" >>"$d/apt.conf"
  # apt drops privileges to _apt for downloads: let it read/write there.
  chmod 755 "$d"
  if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then
    chown -R _apt "$d/lists" "$d/cache" "$d/deb"
  fi
}

papt() { APT_CONFIG="$APT_DIR/apt.conf" "$@"; }

have_candidates() {
  local p c
  for p in "${JDK_PACKAGES[@]}"; do
    c=$(papt apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    [[ -n $c && $c != '(none)' ]] || return 1
  done
}

download_jdk_debs() {
  local tier ok=false
  [[ -r $KEYRING ]] || install_debian_packages debian-archive-keyring
  for tier in 1 2; do
    bullseye_sources "$tier" >"$APT_DIR/etc/sources.list"
    [[ -s $APT_DIR/etc/sources.list ]] || continue
    # A failing source makes apt-get update exit non-zero, but what the
    # others delivered is still usable: judge by the candidates found.
    papt apt-get -q update >"$APT_DIR/update-$tier.log" 2>&1 || true
    if have_candidates; then ok=true; break; fi
  done
  if ! $ok; then
    cat "$APT_DIR"/update-*.log >&2 || true
    die "could not find ${JDK_PACKAGES[*]} in bullseye (sources tried: see above)"
  fi
  USED_SOURCES=$(sed -E 's/\[[^]]*\] //' "$APT_DIR/etc/sources.list" | paste -sd';' | sed 's/;/; /g')
  (cd "$APT_DIR/deb" && run_logged papt apt-get -q download "${JDK_PACKAGES[@]}")
}

# dpkg -x leaves symlinks pointing into /etc (config files, cacerts) or out of
# the JDK tree (docs). Replace them by copies so the JDK works standalone.
make_standalone() {
  local root=$1 jdk=$2 link target src
  while IFS= read -r -d '' link; do
    target=$(readlink -- "$link")
    if [[ $target == /* ]]; then
      src=$root$target
    else
      src=$(realpath -m -s -- "$(dirname -- "$link")/$target")
    fi
    [[ $src == "$jdk"/* ]] && continue       # stays inside the JDK: fine
    if [[ -e $src ]]; then
      rm -f -- "$link"; cp -RL -- "$src" "$link"
    elif [[ $target == /etc/ssl/certs/java/cacerts ]]; then
      rm -f -- "$link"
      local c
      for c in /etc/ssl/certs/java/cacerts /usr/lib/jvm/*/lib/security/cacerts; do
        if [[ -f $c && -s $c ]]; then cp -L -- "$c" "$link"; break; fi
      done
      [[ -e $link ]] || warn "no CA certificates found for $link (TLS from JDK 11 will fail)"
    else
      rm -f -- "$link"                          # e.g. docs, src.zip: not shipped
    fi
  done < <(find "$jdk" -type l -print0)
}

# Full check of a JDK 11: java, javac, JFR, and (warning only) jcmd attach.
verify_jdk() {
  local jdk=$1 t pid i
  t=$(mktemp -d "${TMPDIR:-/tmp}/wiretrace-jdk11-check.XXXXXX")
  "$jdk/bin/java" -version >/dev/null 2>&1 || { rm -rf "$t"; die "$jdk/bin/java -version fails"; }
  "$jdk/bin/javac" -version >/dev/null 2>&1 || { rm -rf "$t"; die "$jdk/bin/javac -version fails"; }
  cat >"$t/Check.java" <<'EOF'
import java.nio.file.Paths;
public class Check {
  public static void main(String[] a) throws Exception {
    if (a.length > 0 && a[0].equals("wait")) {
      System.out.println("ready"); System.out.flush();
      Thread.sleep(60_000); return;
    }
    if (a.length > 0 && a[0].equals("read")) {
      int n = jdk.jfr.consumer.RecordingFile.readAllEvents(Paths.get(a[1])).size();
      if (n == 0) throw new AssertionError("empty JFR recording");
      System.out.println("jfr events: " + n); return;
    }
    if (!jdk.jfr.FlightRecorder.isAvailable()) throw new AssertionError("JFR not available");
    if (!jdk.jfr.FlightRecorder.isInitialized()) throw new AssertionError("JFR not started");
    System.out.println("jfr ok");
  }
}
EOF
  if ! run_logged "$jdk/bin/javac" -d "$t" "$t/Check.java" \
    || ! run_logged "$jdk/bin/java" -cp "$t" \
           "-XX:StartFlightRecording=dumponexit=true,filename=$t/check.jfr" Check \
    || ! run_logged "$jdk/bin/java" -cp "$t" Check read "$t/check.jfr"; then
    rm -rf "$t"; die "JDK 11 at $jdk fails the javac/JFR check"
  fi
  # jcmd: attach to a JDK 11 process we start (and kill, by pid) ourselves.
  "$jdk/bin/java" -cp "$t" Check wait >"$t/wait.out" 2>&1 &
  pid=$!
  for i in $(seq 1 100); do
    grep -q ready "$t/wait.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! "$jdk/bin/jcmd" "$pid" VM.version >"$t/jcmd.out" 2>&1 \
     || ! grep -q 'JDK 11' "$t/jcmd.out"; then
    warn "jcmd/attach does not work with the JDK 11 at $jdk:"
    sed 's/^/    /' "$t/jcmd.out" >&2
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$t"
}

install_jdk11() {
  local parent lock
  parent=$(dirname -- "$JDK11_DIR")
  [[ -d $parent ]] || mkdir -p -- "$parent" 2>/dev/null || as_root mkdir -p -- "$parent"
  [[ -w $parent ]] || die "cannot write to $parent (run as root)"

  # One installer at a time (two test runs may start together).
  lock="$parent/.$(basename -- "$JDK11_DIR").lock"
  exec 9>"$lock"
  flock 9
  if jdk11_works "$JDK11_DIR"; then exec 9>&-; return 0; fi

  if [[ -e $JDK11_DIR || -L $JDK11_DIR ]]; then
    if [[ -f $JDK11_DIR/.wiretrace-jdk11 ]] || [[ -d $JDK11_DIR && -z "$(ls -A -- "$JDK11_DIR")" ]]; then
      log "replacing the broken JDK 11 at $JDK11_DIR"
      rm -rf -- "$JDK11_DIR"
    else
      die "$JDK11_DIR exists but is not a working JDK 11 (and was not installed by this script); move it away or set WIRETRACE_JDK11"
    fi
  fi

  local start=$SECONDS deb
  log "fetching JDK 11 (${JDK_PACKAGES[*]}) from Debian bullseye"
  APT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/wiretrace-jdk11.XXXXXX")
  STAGE=$(mktemp -d "$parent/.$(basename -- "$JDK11_DIR").stage.XXXXXX")
  trap 'rm -rf -- "$APT_DIR" "$STAGE"' EXIT
  write_private_apt_conf "$APT_DIR"
  download_jdk_debs

  mkdir -p "$APT_DIR/root"
  for deb in "$APT_DIR"/deb/*.deb; do dpkg -x "$deb" "$APT_DIR/root"; done
  [[ -x $APT_DIR/root/$JVM_SUBDIR/bin/java ]] || die "no $JVM_SUBDIR/bin/java in the packages"
  make_standalone "$APT_DIR/root" "$APT_DIR/root/$JVM_SUBDIR"
  rmdir -- "$STAGE"
  mv -T -- "$APT_DIR/root/$JVM_SUBDIR" "$STAGE"
  # Debian's postinst generates the class data sharing archive; do the same.
  "$STAGE/bin/java" -Xshare:dump >/dev/null 2>&1 || true
  { echo "Installed by src/scripts/install-test-deps.sh on $(date -u +%FT%TZ) from:"
    for deb in "$APT_DIR"/deb/*.deb; do echo "  $(basename -- "$deb")"; done
    echo "Sources: $USED_SOURCES"
  } >"$STAGE/.wiretrace-jdk11"

  verify_jdk "$STAGE"
  mv -T -- "$STAGE" "$JDK11_DIR"
  rm -rf -- "$APT_DIR"; trap - EXIT
  exec 9>&-
  log "JDK 11 installed in $((SECONDS - start))s from: $USED_SOURCES"
}

# --------------------------------------------------------------------------
install_debian_packages "${DEB_PACKAGES[@]}"
if ! jdk11_works "$JDK11_DIR"; then
  install_jdk11
elif $VERIFY; then
  verify_jdk "$JDK11_DIR"
fi
jdk11_works "$JDK11_DIR" || die "JDK 11 at $JDK11_DIR does not work"
echo "JDK 11: $JDK11_DIR ($(jdk_version_line "$JDK11_DIR"))"
