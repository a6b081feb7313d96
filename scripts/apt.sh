# Sourced by the set-up scripts: apt_install PACKAGE... installs those that
# are missing, with sudo when not root; on a system without apt-get it says
# what to install instead.
apt_install() {
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "setup: not a Debian system; install these (or your system's equivalents) yourself: $*" >&2
		return 0
	fi
	local missing=() p
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	echo "setup: installing ${missing[*]}"
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
